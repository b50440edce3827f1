//! The `alerts:` section: where ferry tells someone that they need to step in, and when.
//!
//! ```yaml
//! alerts:
//!   channels:
//!     ops:
//!       webhook: ${ALERT_WEBHOOK_URL}   # a secret: webhook URLs carry their token
//!       format: slack                   # or json (the default)
//!     finance:
//!       email:
//!         smtp: smtp.example.com:587
//!         tls: starttls                 # starttls (the default), tls, or none (a local relay)
//!         username: ${SMTP_USER}
//!         password: ${SMTP_PASSWORD}
//!         from: ferry@example.com
//!         to: [finance@example.com]
//!   triggers:
//!     dead_letters: { every: 15m }      # at most one digest per pipeline per 15 minutes
//!     failed: true                      # a run that stops on an error
//!     stalled: { after: 30m }           # events waiting, or a `run --watch` stuck, longer than this
//!     signature_failures: { burst: 20, within: 5m }
//!     store_unavailable: true
//!     reconcile: true
//! ```
//!
//! Every trigger is on with the defaults above unless the file turns it off (`false`).

use std::time::Duration;

use indexmap::IndexMap;

use super::parse::{Parser, list};
use super::resolve::Resolver;
use super::{Project, Setting, Spanned};
use crate::connectors::rate_limit::{format_duration, parse_duration};
use crate::connectors::secret::Secret;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::formats::yaml::Node;

const ALERT_KEYS: [&str; 2] = ["channels", "triggers"];
const TRIGGER_KEYS: [&str; 6] = [
    "dead_letters",
    "failed",
    "stalled",
    "signature_failures",
    "store_unavailable",
    "reconcile",
];
const WEBHOOK_KEYS: [&str; 2] = ["webhook", "format"];
const EMAIL_KEYS: [&str; 6] = ["smtp", "tls", "username", "password", "from", "to"];

/// The `alerts:` section as written.
#[derive(Clone, Debug)]
pub struct AlertSettings {
    pub span: Span,
    pub channels: IndexMap<String, ChannelSettings>,
    pub triggers: Triggers,
}

/// One channel as written; settings that may be secret are kept as templates until resolved.
#[derive(Clone, Debug)]
pub enum ChannelSettings {
    Webhook {
        url: Setting,
        format: WebhookFormat,
    },
    Email {
        smtp: Spanned<String>,
        tls: SmtpTls,
        username: Option<Setting>,
        password: Option<Setting>,
        from: String,
        to: Vec<String>,
    },
}

/// The body a webhook channel posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookFormat {
    /// ferry's own JSON: `{trigger, key, subject, body, at, project}`.
    Json,
    /// `{"text": ...}`, which Slack's incoming webhooks and their look-alikes take.
    Slack,
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain, then upgraded with STARTTLS, refusing to go on without it (port 587).
    StartTls,
    /// No encryption: only for a relay on this machine.
    None,
}

impl SmtpTls {
    fn default_port(self) -> u16 {
        match self {
            SmtpTls::Tls => 465,
            SmtpTls::StartTls => 587,
            SmtpTls::None => 25,
        }
    }
}

/// When alerts are raised; `None` turns a trigger off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Triggers {
    /// New dead letters, digested: at most one message per pipeline per this window.
    pub dead_letters: Option<Duration>,
    /// A run of a pipeline that stopped on an error (bad credentials, an unreachable API).
    pub failed: bool,
    /// Events waiting longer than this (`ferry serve`), or a pipeline of `ferry run --watch`
    /// that has not read its source, or whose cursor lags its source, for longer than this.
    pub stalled: Option<Duration>,
    /// This many refused webhook signatures within this window.
    pub signature_failures: Option<(u32, Duration)>,
    pub store_unavailable: bool,
    pub reconcile: bool,
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers {
            dead_letters: Some(Duration::from_secs(15 * 60)),
            failed: true,
            stalled: Some(Duration::from_secs(30 * 60)),
            signature_failures: Some((20, Duration::from_secs(5 * 60))),
            store_unavailable: true,
            reconcile: true,
        }
    }
}

/// The alerts with their secrets, ready to send.
#[derive(Clone, Debug)]
pub struct ResolvedAlerts {
    pub channels: Vec<ResolvedChannel>,
    pub triggers: Triggers,
}

impl ResolvedAlerts {
    /// Every secret of the channels, for redaction.
    pub fn secrets(&self) -> Vec<&Secret> {
        self.channels
            .iter()
            .flat_map(|channel| match &channel.target {
                ChannelTarget::Webhook { url, .. } => vec![url],
                ChannelTarget::Email {
                    credentials: Some((user, password)),
                    ..
                } => vec![user, password],
                ChannelTarget::Email { .. } => Vec::new(),
            })
            .collect()
    }
}

/// A channel by name.
#[derive(Clone, Debug)]
pub struct ResolvedChannel {
    pub name: String,
    pub target: ChannelTarget,
}

#[derive(Clone, Debug)]
pub enum ChannelTarget {
    Webhook {
        /// The whole URL is a secret: webhook URLs carry their token.
        url: Secret,
        format: WebhookFormat,
    },
    Email {
        host: String,
        port: u16,
        tls: SmtpTls,
        credentials: Option<(Secret, Secret)>,
        from: String,
        to: Vec<String>,
    },
}

impl Project {
    /// The alerts of `environment` (the name [`Project::environment`] resolved) with their
    /// secrets read (`${VAR}`, `file:`); `None` when the file has no `alerts:` section or the
    /// environment says `alerts: false`.
    pub fn alerts(&self, environment: &str) -> Result<Option<ResolvedAlerts>, Vec<Diagnostic>> {
        self.alerts_with(environment, &|var| std::env::var(var).ok())
    }

    /// [`Project::alerts`], reading `${VAR}` references with `lookup`.
    pub fn alerts_with(
        &self,
        environment: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<ResolvedAlerts>, Vec<Diagnostic>> {
        let Some(settings) = &self.alerts else {
            return Ok(None);
        };
        if self
            .environments
            .get(environment)
            .is_some_and(|e| !e.alerts)
        {
            return Ok(None);
        }
        let mut resolver = Resolver::new(lookup, &self.dir);
        let mut channels = Vec::new();
        for (name, channel) in &settings.channels {
            let target = match channel {
                ChannelSettings::Webhook { url, format } => {
                    resolver.expand(url).map(|url| ChannelTarget::Webhook {
                        url: Secret::new(url),
                        format: *format,
                    })
                }
                ChannelSettings::Email {
                    smtp,
                    tls,
                    username,
                    password,
                    from,
                    to,
                } => {
                    let credentials = match (username, password) {
                        (Some(user), Some(password)) => {
                            match (resolver.expand(user), resolver.expand(password)) {
                                (Some(user), Some(password)) => {
                                    Some(Some((Secret::new(user), Secret::new(password))))
                                }
                                _ => None,
                            }
                        }
                        _ => Some(None),
                    };
                    let (host, port) = split_host(&smtp.value, *tls);
                    credentials.map(|credentials| ChannelTarget::Email {
                        host,
                        port,
                        tls: *tls,
                        credentials,
                        from: from.clone(),
                        to: to.clone(),
                    })
                }
            };
            if let Some(target) = target {
                channels.push(ResolvedChannel {
                    name: name.clone(),
                    target,
                });
            }
        }
        let diagnostics = resolver.into_diagnostics();
        if !diagnostics.is_empty() {
            return Err(diagnostics);
        }
        Ok(Some(ResolvedAlerts {
            channels,
            triggers: settings.triggers.clone(),
        }))
    }
}

/// `host[:port]`, with the port the protection implies when none is written.
fn split_host(text: &str, tls: SmtpTls) -> (String, u16) {
    match text.rsplit_once(':') {
        Some((host, port)) => match port.parse() {
            Ok(port) => (host.to_string(), port),
            Err(_) => (text.to_string(), tls.default_port()),
        },
        None => (text.to_string(), tls.default_port()),
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Parser<'_> {
    pub(super) fn alerts(&mut self, value: &Node) -> Option<AlertSettings> {
        let mut settings = AlertSettings {
            span: self.doc.key(&["alerts"]),
            channels: IndexMap::new(),
            triggers: Triggers::default(),
        };
        for (key, value) in self.mapping(&["alerts"], value) {
            match key.as_str() {
                "channels" => settings.channels = self.channels(value),
                "triggers" => settings.triggers = self.triggers(value),
                _ => self.unknown_key(&["alerts", key], &ALERT_KEYS, "in `alerts`"),
            }
        }
        if settings.channels.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::InvalidSettingValue,
                    settings.span,
                    "`alerts` has no channels, so no alert would reach anyone",
                )
                .with_help("add a channel under `alerts: channels:`, such as `ops: { webhook: ${ALERT_WEBHOOK_URL} }`"),
            );
        }
        Some(settings)
    }

    fn channels(&mut self, value: &Node) -> IndexMap<String, ChannelSettings> {
        let mut channels = IndexMap::new();
        for (name, body) in self.mapping(&["alerts", "channels"], value) {
            let path = ["alerts", "channels", name.as_str()];
            let entries = self.mapping(&path, body);
            let has = |key: &str| entries.iter().any(|(k, _)| k == key);
            let channel = if has("webhook") {
                self.webhook_channel(&path, entries)
            } else if has("email") {
                self.email_channel(&path, entries)
            } else {
                self.push(
                    Diagnostic::new(
                        Code::MissingConnectionSetting,
                        self.doc.key(&path),
                        format!("alert channel `{name}` has neither `webhook` nor `email`"),
                    )
                    .with_help("give it `webhook: URL`, or `email:` with `smtp`, `from` and `to`"),
                );
                None
            };
            if let Some(channel) = channel {
                channels.insert(name.clone(), channel);
            }
        }
        channels
    }

    fn webhook_channel(
        &mut self,
        path: &[&str],
        entries: &[(String, Node)],
    ) -> Option<ChannelSettings> {
        let mut url = None;
        let mut format = WebhookFormat::Json;
        for (key, value) in entries {
            let key_path = [path, &[key.as_str()]].concat();
            match key.as_str() {
                "webhook" => {
                    url = self.setting(&key_path, value, true);
                    if let Some(setting) = &url
                        && let Some(literal) = setting.template.literal()
                        && let Err(reason) = super::resolve::parse_http_url(&literal)
                    {
                        self.push(
                            Diagnostic::new(
                                Code::InvalidUrl,
                                setting.value_span,
                                format!("the webhook is not a valid URL: {reason}"),
                            )
                            .with_label("invalid URL"),
                        );
                    }
                }
                "format" => match self.text(&key_path, value)?.value.as_str() {
                    "json" => format = WebhookFormat::Json,
                    "slack" => format = WebhookFormat::Slack,
                    other => self.invalid(
                        &key_path,
                        format!("unknown webhook format `{other}`"),
                        "use `json` or `slack`",
                    ),
                },
                _ => self.unknown_key(&key_path, &WEBHOOK_KEYS, "in a webhook channel"),
            }
        }
        Some(ChannelSettings::Webhook { url: url?, format })
    }

    fn email_channel(
        &mut self,
        path: &[&str],
        entries: &[(String, Node)],
    ) -> Option<ChannelSettings> {
        let mut email_path = path.to_vec();
        email_path.push("email");
        let (_, body) = entries.iter().find(|(k, _)| k == "email")?;
        for (key, _) in entries.iter().filter(|(k, _)| k != "email") {
            let key_path = [path, &[key.as_str()]].concat();
            self.unknown_key(&key_path, &["email"], "beside `email`");
        }
        let (mut smtp, mut tls, mut username, mut password) = (None, SmtpTls::StartTls, None, None);
        let (mut from, mut to) = (None, Vec::new());
        for (key, value) in self.mapping(&email_path, body) {
            let key_path = [email_path.as_slice(), &[key.as_str()]].concat();
            match key.as_str() {
                "smtp" => smtp = self.text(&key_path, value),
                "tls" => match self.text(&key_path, value)?.value.as_str() {
                    "tls" => tls = SmtpTls::Tls,
                    "starttls" => tls = SmtpTls::StartTls,
                    "none" => tls = SmtpTls::None,
                    other => self.invalid(
                        &key_path,
                        format!("unknown SMTP protection `{other}`"),
                        "use `starttls` (port 587), `tls` (port 465) or `none` (a relay on this machine)",
                    ),
                },
                "username" => username = self.setting(&key_path, value, true),
                "password" => password = self.setting(&key_path, value, true),
                "from" => from = self.address(&key_path, value),
                "to" => to = self.addresses(&key_path, value),
                _ => self.unknown_key(&key_path, &EMAIL_KEYS, "in an email channel"),
            }
        }
        let missing: Vec<&str> = [
            ("smtp", smtp.is_none()),
            ("from", from.is_none()),
            ("to", to.is_empty()),
        ]
        .into_iter()
        .filter_map(|(key, missing)| missing.then_some(key))
        .collect();
        if !missing.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::MissingConnectionSetting,
                    self.doc.key(&email_path),
                    format!("the email channel has no {}", list(&missing)),
                )
                .with_help("an email channel needs `smtp: host[:port]`, `from:` and `to:`"),
            );
            return None;
        }
        if username.is_some() != password.is_some() {
            self.push(
                Diagnostic::new(
                    Code::MissingConnectionSetting,
                    self.doc.key(&email_path),
                    "the email channel has a `username` without a `password`, or the other way round",
                )
                .with_help("give both, or neither for a relay that takes mail without logging in"),
            );
            return None;
        }
        let smtp = smtp?;
        if tls == SmtpTls::None
            && username.is_some()
            && !is_loopback(&split_host(&smtp.value, tls).0)
        {
            self.push(
                Diagnostic::new(
                    Code::InvalidSettingValue,
                    smtp.span,
                    "`tls: none` would send the SMTP password in clear text over the network",
                )
                .with_label("not this machine")
                .with_help(
                    "use `tls: starttls` or `tls: tls`; `none` is for a relay on this machine",
                ),
            );
            return None;
        }
        Some(ChannelSettings::Email {
            smtp,
            tls,
            username,
            password,
            from: from?,
            to,
        })
    }

    fn address(&mut self, path: &[&str], value: &Node) -> Option<String> {
        let text = self.text(path, value)?;
        match text.value.parse::<lettre::message::Mailbox>() {
            Ok(_) => Some(text.value),
            Err(error) => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidSettingValue,
                        text.span,
                        format!("`{}` is not an e-mail address: {error}", text.value),
                    )
                    .with_label("not an address"),
                );
                None
            }
        }
    }

    fn addresses(&mut self, path: &[&str], value: &Node) -> Vec<String> {
        self.one_or_many(path, value, Self::address)
    }

    fn triggers(&mut self, value: &Node) -> Triggers {
        let mut triggers = Triggers::default();
        for (key, value) in self.mapping(&["alerts", "triggers"], value) {
            let path = ["alerts", "triggers", key.as_str()];
            match key.as_str() {
                "dead_letters" => {
                    triggers.dead_letters =
                        self.window(&path, value, "every", triggers.dead_letters)
                }
                "stalled" => {
                    triggers.stalled = self.window(&path, value, "after", triggers.stalled)
                }
                "signature_failures" => {
                    triggers.signature_failures =
                        self.burst(&path, value, triggers.signature_failures)
                }
                "failed" => triggers.failed = self.switch(&path, value),
                "store_unavailable" => triggers.store_unavailable = self.switch(&path, value),
                "reconcile" => triggers.reconcile = self.switch(&path, value),
                _ => self.unknown_key(&path, &TRIGGER_KEYS, "in `alerts: triggers`"),
            }
        }
        triggers
    }

    pub(super) fn switch(&mut self, path: &[&str], value: &Node) -> bool {
        match value {
            Node::Bool(on) => *on,
            other => {
                let span = self.doc.value(path);
                self.wrong_type(
                    span,
                    &format!("`{}`", path[path.len() - 1]),
                    "`true` or `false`",
                    other,
                );
                true
            }
        }
    }

    /// `false`, or `{ <key>: <duration> }`.
    fn window(
        &mut self,
        path: &[&str],
        value: &Node,
        key: &str,
        default: Option<Duration>,
    ) -> Option<Duration> {
        if let Node::Bool(on) = value {
            return on.then_some(default).flatten();
        }
        let mut window = default;
        for (name, value) in self.mapping(path, value) {
            let key_path = [path, &[name.as_str()]].concat();
            if name == key {
                window = self.duration(&key_path, value).or(window);
            } else {
                self.unknown_key(&key_path, &[key], "in this trigger");
            }
        }
        window
    }

    /// `false`, or `{ burst: N, within: <duration> }`.
    fn burst(
        &mut self,
        path: &[&str],
        value: &Node,
        default: Option<(u32, Duration)>,
    ) -> Option<(u32, Duration)> {
        if let Node::Bool(on) = value {
            return on.then_some(default).flatten();
        }
        let (mut count, mut within) = default.unwrap_or((20, Duration::from_secs(300)));
        for (name, value) in self.mapping(path, value) {
            let key_path = [path, &[name.as_str()]].concat();
            match name.as_str() {
                "burst" => match value {
                    Node::Number(n) if n.parse::<u32>().is_ok_and(|n| n > 0) => {
                        count = n.parse().unwrap_or(count)
                    }
                    _ => self.invalid(
                        &key_path,
                        "`burst` must be a whole number above 0".into(),
                        "for example `burst: 20`",
                    ),
                },
                "within" => within = self.duration(&key_path, value).unwrap_or(within),
                _ => self.unknown_key(&key_path, &["burst", "within"], "in this trigger"),
            }
        }
        Some((count, within))
    }

    pub(super) fn duration(&mut self, path: &[&str], value: &Node) -> Option<Duration> {
        let text = self.text(path, value)?;
        let parsed = parse_duration(&text.value);
        if parsed.is_none() {
            self.invalid(
                path,
                format!("`{}` is not a duration", text.value),
                &format!(
                    "write a number and a unit, such as `{}`",
                    format_duration(Duration::from_secs(900))
                ),
            );
        }
        parsed
    }

    pub(super) fn invalid(&mut self, path: &[&str], message: String, help: &str) {
        let span = self.doc.value(path);
        self.push(
            Diagnostic::new(Code::InvalidSettingValue, span, message)
                .with_label("invalid value")
                .with_help(help.to_string()),
        );
    }
}
