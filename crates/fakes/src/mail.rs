//! A mail as the tests read it, whichever way it left the server (the real SMTP server's
//! Maildir, or the folder a test world's server writes to): decoded from its bytes.

/// One mail, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
}

impl Mail {
    /// The mail in these bytes (RFC 5322), or `None` when they are not one.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let message = mail_parser::MessageParser::default().parse(bytes)?;
        let part = |body: Option<std::borrow::Cow<'_, str>>| body.map(|b| b.into_owned());
        Some(Self {
            to: message
                .to()
                .and_then(|to| to.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned(),
            subject: message.subject().unwrap_or_default().to_owned(),
            text: part(message.body_text(0)).unwrap_or_default(),
            html: part(message.body_html(0)).unwrap_or_default(),
            message_id: message.message_id().unwrap_or_default().to_owned(),
        })
    }

    /// The 8 digits of the code the mail carries, written `1234 5678` on a line of its own
    /// (inside the isolates that keep it left to right in a Hebrew mail).
    pub fn code(&self) -> Option<String> {
        self.text
            .lines()
            .map(|line| line.trim().trim_matches(['\u{2066}', '\u{2069}']))
            .find(|line| {
                line.len() == 9
                    && line.as_bytes()[4] == b' '
                    && line.replace(' ', "").bytes().all(|b| b.is_ascii_digit())
            })
            .map(|line| line.replace(' ', ""))
    }

    /// Whether the HTML part is laid out right to left.
    pub fn is_rtl(&self) -> bool {
        self.html.contains("dir=\"rtl\"")
    }
}
