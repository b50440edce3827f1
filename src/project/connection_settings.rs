//! The settings of one connection, or of an environment's override of it.

use super::parse::{Entries, Parser, did_you_mean, list};
use super::{ConnectionSettings, Kind, RateLimit, Setting, Spanned, parse_duration};
use crate::connectors::CONNECTORS;
use crate::connectors::descriptor::URL_KEYS;
use crate::diagnostics::{Code, Diagnostic};
use crate::formats::yaml::Node;

const FILE_FORMATS: [&str; 2] = ["csv", "jsonl"];

impl Parser<'_> {
    pub(super) fn settings(
        &mut self,
        kind: Kind,
        path: &[&str],
        entries: &Entries,
        in_environment: bool,
    ) -> ConnectionSettings {
        let mut settings = ConnectionSettings::default();
        for (key, value) in entries {
            let mut key_path = path.to_vec();
            key_path.push(key);
            match key.as_str() {
                "kind" if in_environment => {
                    let span = self.doc.key(&key_path);
                    self.push(
                        Diagnostic::new(
                            Code::UnknownConnectionSetting,
                            span,
                            "an environment cannot change a connection's `kind`",
                        )
                        .with_help("declare another connection under the top-level `connections:`"),
                    );
                }
                "kind" => {}
                "rate_limit" if kind.is_http() => {
                    settings.rate_limit = self.rate_limit(kind, &key_path, value)
                }
                "concurrency" if kind.is_http() => {
                    settings.concurrency = self.concurrency(&key_path, value)
                }
                "timeout" if kind.is_http() => settings.timeout = self.timeout(&key_path, value),
                _ if kind.keys().contains(&key.as_str()) => {
                    let secret = kind.secrets().contains(&key.as_str());
                    match self.setting(&key_path, value, secret) {
                        Some(setting) => {
                            self.check_value(&setting);
                            settings.values.insert(key.clone(), setting);
                        }
                        None => settings.invalid.push(key.clone()),
                    }
                }
                _ => self.unknown_setting(kind, &key_path),
            }
        }
        settings
    }

    /// Checks a literal URL or file format now; references are checked once resolved.
    pub(super) fn check_value(&mut self, setting: &Setting) {
        let Some(literal) = setting.template.literal() else {
            return;
        };
        if URL_KEYS.contains(&setting.key.as_str())
            && let Err(reason) = super::resolve::parse_http_url(&literal)
        {
            self.push(
                Diagnostic::new(
                    Code::InvalidUrl,
                    setting.value_span,
                    format!("`{}` is not a valid URL: {reason}", setting.key),
                )
                .with_label("invalid URL")
                .with_help("write the full URL, such as `https://api.stripe.com`"),
            );
        }
        if setting.key == "format" && !FILE_FORMATS.contains(&literal.as_str()) {
            self.push(
                Diagnostic::new(
                    Code::InvalidSettingValue,
                    setting.value_span,
                    format!("unknown file format `{literal}`"),
                )
                .with_help("use `csv` or `jsonl`"),
            );
        }
    }

    pub(super) fn unknown_setting(&mut self, kind: Kind, path: &[&str]) {
        let key = path.last().copied().unwrap_or_default();
        let span = self.doc.key(path);
        let keys = kind.keys();
        let mut diagnostic = Diagnostic::new(
            Code::UnknownConnectionSetting,
            span,
            format!("`{key}` is not a setting of {} connections", kind.name()),
        )
        .with_label("unknown setting");
        if let Some(help) = did_you_mean(key, keys.iter().copied()) {
            diagnostic = diagnostic.with_help(help);
        } else if let Some(other) = CONNECTORS.iter().find(|k| k.keys().contains(&key)) {
            diagnostic = diagnostic.with_help(format!(
                "`{key}` belongs to {} connections; {} connections take {}",
                other.name(),
                kind.name(),
                list(&keys)
            ));
        } else {
            diagnostic =
                diagnostic.with_help(format!("{} connections take {}", kind.name(), list(&keys)));
        }
        self.push(diagnostic);
    }

    pub(super) fn rate_limit(
        &mut self,
        kind: Kind,
        path: &[&str],
        value: &Node,
    ) -> Option<Spanned<RateLimit>> {
        let span = self.doc.key(path);
        let malformed = |message: String| {
            Diagnostic::new(Code::MalformedRateLimit, span, message)
                .with_label("malformed rate limit")
                .with_help("write `rate_limit: { requests: 25, per: 1s }`")
        };
        let Node::Mapping(entries) = value else {
            self.push(malformed(format!(
                "`rate_limit` must be a mapping with `requests` and `per`, found {}",
                value.describe()
            )));
            return None;
        };
        let (mut requests, mut per) = (None, None);
        for (key, value) in entries {
            match (key.as_str(), value) {
                ("requests", Node::Number(n)) => {
                    requests = n.parse::<u32>().ok().filter(|n| *n > 0)
                }
                ("per", Node::String(s)) => per = parse_duration(s),
                ("requests" | "per", _) => {}
                _ => {
                    self.push(malformed(format!(
                        "unknown key `{key}` in `rate_limit`: it takes `requests` and `per`"
                    )));
                    return None;
                }
            }
        }
        let rate_limit = match (requests, per) {
            (Some(requests), Some(per)) => RateLimit::new(requests, per),
            (None, _) => {
                self.push(malformed(
                    "`rate_limit` needs `requests`, a whole number above 0".into(),
                ));
                return None;
            }
            (_, None) => {
                self.push(malformed(
                    "`rate_limit` needs `per`, a duration such as `1s`, `1m`, `5m` or `1h`".into(),
                ));
                return None;
            }
        };
        if let Some(ceiling) = kind.documented_ceiling()
            && rate_limit.per_second() > ceiling.per_second() * 1.0001
        {
            self.push(
                Diagnostic::new(
                    Code::RateLimitAboveDocumented,
                    span,
                    format!(
                        "rate limit {rate_limit} is above the {} API's documented {ceiling}",
                        kind.name()
                    ),
                )
                .with_label("above the documented limit")
                .with_help("the API will answer 429 and ferry will back off; lower the limit"),
            );
        }
        Some(Spanned {
            value: rate_limit,
            span,
        })
    }

    pub(super) fn concurrency(&mut self, path: &[&str], value: &Node) -> Option<u32> {
        let parsed = match value {
            Node::Number(n) => n.parse::<u32>().ok().filter(|n| (1..=1000).contains(n)),
            _ => None,
        };
        if parsed.is_none() {
            let span = self.doc.value(path);
            self.push(
                Diagnostic::new(
                    Code::InvalidSettingValue,
                    span,
                    "`concurrency` must be a whole number from 1 to 1000",
                )
                .with_help("for example `concurrency: 4`"),
            );
        }
        parsed
    }

    pub(super) fn timeout(&mut self, path: &[&str], value: &Node) -> Option<std::time::Duration> {
        let parsed = match value {
            Node::String(s) => parse_duration(s),
            _ => None,
        };
        if parsed.is_none() {
            let span = self.doc.value(path);
            self.push(
                Diagnostic::new(
                    Code::InvalidSettingValue,
                    span,
                    "`timeout` must be a duration such as `30s` or `2m`",
                )
                .with_help("for example `timeout: 30s`"),
            );
        }
        parsed
    }
}
