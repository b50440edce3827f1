//! Sending one alert through one channel: a webhook POST, or an e-mail over SMTP.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::Alert;
use crate::project::{ChannelTarget, ResolvedChannel, SmtpTls, WebhookFormat};

/// How long one try may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// An alert with the project it is about.
pub(super) struct Message<'a> {
    pub project: &'a str,
    pub alert: &'a Alert,
}

impl Message<'_> {
    fn subject(&self) -> String {
        format!("[ferry {}] {}", self.project, self.alert.subject)
    }
}

/// Why a channel did not take an alert. The messages may hold a URL or server name; the
/// sender redacts secrets before they are shown.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("not tried")]
    NotTried,
    #[error("the webhook could not be reached: {0}")]
    Unreachable(String),
    #[error("the webhook answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("the e-mail could not be built: {0}")]
    Email(String),
    #[error("the SMTP server did not take the e-mail: {0}")]
    Smtp(String),
}

impl ChannelError {
    /// Whether another try may succeed: not for a refusal the receiver will repeat.
    pub(super) fn is_transient(&self) -> bool {
        match self {
            ChannelError::Unreachable(_) | ChannelError::Smtp(_) | ChannelError::NotTried => true,
            ChannelError::Refused { status, .. } => *status == 429 || *status >= 500,
            ChannelError::Email(_) => false,
        }
    }
}

pub(super) fn http_client() -> reqwest::Client {
    crate::init_tls();
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("ferry/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

pub(super) async fn send(
    channel: &ResolvedChannel,
    message: &Message<'_>,
    http: &reqwest::Client,
) -> Result<(), ChannelError> {
    match &channel.target {
        ChannelTarget::Webhook { url, format } => {
            let body = webhook_body(message, *format);
            let answer = http
                .post(url.expose())
                .json(&body)
                .send()
                .await
                // reqwest's error names the URL, which carries the webhook's token: the sender
                // redacts it, and `without_url` keeps it out in the first place.
                .map_err(|error| ChannelError::Unreachable(error.without_url().to_string()))?;
            let status = answer.status();
            if status.is_success() {
                return Ok(());
            }
            let text = answer.text().await.unwrap_or_default();
            Err(ChannelError::Refused {
                status: status.as_u16(),
                body: text.chars().take(300).collect(),
            })
        }
        ChannelTarget::Email {
            host,
            port,
            tls,
            credentials,
            from,
            to,
        } => {
            let email = email(message, from, to)?;
            let builder = match tls {
                SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
                SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
                SmtpTls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                    host,
                )),
            }
            .map_err(|error| ChannelError::Smtp(error.to_string()))?;
            let mut builder = builder.port(*port).timeout(Some(TIMEOUT));
            if let Some((user, password)) = credentials {
                builder = builder.credentials(Credentials::new(
                    user.expose().to_string(),
                    password.expose().to_string(),
                ));
            }
            builder
                .build()
                .send(email)
                .await
                .map(|_| ())
                .map_err(|error| ChannelError::Smtp(error.to_string()))
        }
    }
}

fn webhook_body(message: &Message<'_>, format: WebhookFormat) -> serde_json::Value {
    let alert = message.alert;
    match format {
        WebhookFormat::Json => serde_json::json!({
            "project": message.project,
            "trigger": alert.trigger.as_str(),
            "key": alert.key,
            "subject": alert.subject,
            "body": alert.body,
            "at": jiff::Timestamp::now().to_string(),
        }),
        WebhookFormat::Slack => serde_json::json!({
            "text": format!("*{}*\n{}", message.subject(), alert.body),
        }),
    }
}

fn email(
    message: &Message<'_>,
    from: &str,
    to: &[String],
) -> Result<lettre::Message, ChannelError> {
    let mailbox = |text: &str| {
        text.parse::<Mailbox>()
            .map_err(|error| ChannelError::Email(format!("`{text}`: {error}")))
    };
    let mut builder = lettre::Message::builder()
        .from(mailbox(from)?)
        .subject(message.subject());
    for address in to {
        builder = builder.to(mailbox(address)?);
    }
    builder
        .body(message.alert.body.clone())
        .map_err(|error| ChannelError::Email(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Trigger;

    fn alert() -> Alert {
        Alert {
            trigger: Trigger::DeadLetters,
            key: "dead_letters/sync".into(),
            subject: "3 records dead-lettered".into(),
            body: "E0700: email missing".into(),
            quiet: Duration::ZERO,
        }
    }

    #[test]
    fn a_slack_body_is_one_text_with_the_subject_in_bold() {
        let alert = alert();
        let message = Message {
            project: "acme",
            alert: &alert,
        };
        assert_eq!(
            webhook_body(&message, WebhookFormat::Slack),
            serde_json::json!({"text": "*[ferry acme] 3 records dead-lettered*\nE0700: email missing"})
        );
        let json = webhook_body(&message, WebhookFormat::Json);
        assert_eq!(json["trigger"], "dead_letters");
        assert_eq!(json["key"], "dead_letters/sync");
    }

    #[test]
    fn only_a_refusal_the_receiver_may_change_its_mind_on_is_tried_again() {
        let refused = |status| ChannelError::Refused {
            status,
            body: String::new(),
        };
        assert!(refused(503).is_transient());
        assert!(refused(429).is_transient());
        assert!(!refused(404).is_transient());
        assert!(!ChannelError::Email("x".into()).is_transient());
    }

    #[test]
    fn an_email_has_every_recipient_and_the_project_in_its_subject() {
        let alert = alert();
        let message = Message {
            project: "acme",
            alert: &alert,
        };
        let email = email(
            &message,
            "ferry@example.com",
            &["a@example.com".into(), "b@example.com".into()],
        )
        .unwrap();
        let text = String::from_utf8(email.formatted()).unwrap();
        assert!(
            text.contains("Subject: [ferry acme] 3 records dead-lettered"),
            "{text}"
        );
        assert!(
            text.contains("a@example.com") && text.contains("b@example.com"),
            "{text}"
        );
    }
}
