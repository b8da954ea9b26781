//! What each mail says, in the owner's language (en, fr, he): a subject, a plain-text part and
//! an HTML part. A code is written as two groups of four digits and kept left to right inside
//! Hebrew text (isolated with U+2066/U+2069 in text, `<bdi dir="ltr">` in HTML). Every letter
//! ends with a "not you?" line, since whoever reads it may not be who asked for it.

use serde::{Deserialize, Serialize};

/// A mail the server sends, with what it needs to be written (stored in the outbox's payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Letter {
    /// At sign-up and on request: confirm the address with this code.
    EmailVerification {
        code: String,
    },
    PasswordReset {
        code: String,
    },
    /// To the account's address after a reset or a change.
    PasswordChanged,
    /// To the new address: confirm it with this code.
    EmailChange {
        code: String,
        new_email: String,
    },
    /// To the old address once the switch is made.
    EmailChanged {
        new_email: String,
    },
    /// A copied sign-in was caught (a spent refresh token came back) and ended.
    SignInEndedForSafety,
    /// The last mail of an account.
    AccountDeleted,
}

impl Letter {
    /// The outbox's `kind` column (what the per-address mail limits count).
    pub fn kind(&self) -> &'static str {
        match self {
            Letter::EmailVerification { .. } => "email_verification",
            Letter::PasswordReset { .. } => "password_reset",
            Letter::PasswordChanged => "password_changed",
            Letter::EmailChange { .. } => "email_change",
            Letter::EmailChanged { .. } => "email_changed",
            Letter::SignInEndedForSafety => "sign_in_ended_for_safety",
            Letter::AccountDeleted => "account_deleted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    En,
    Fr,
    He,
}

impl Language {
    /// The account's `locale`, English when unset or unknown.
    pub fn of(locale: Option<&str>) -> Self {
        match locale {
            Some("fr") => Language::Fr,
            Some("he") => Language::He,
            _ => Language::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
            Language::He => "he",
        }
    }

    fn right_to_left(self) -> bool {
        self == Language::He
    }
}

/// A letter written out.
pub struct Written {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One letter's words: a heading, paragraphs before the code (if any), paragraphs after.
struct Words {
    subject: &'static str,
    before: Vec<String>,
    after: Vec<String>,
}

fn words(letter: &Letter, language: Language) -> Words {
    use Language::{En, Fr, He};
    let minutes_30 = match language {
        En => "The code works for 30 minutes, once.",
        Fr => "Ce code est valable 30 minutes, une seule fois.",
        He => "הקוד תקף ל-30 דקות, לשימוש אחד.",
    };
    let hours_24 = match language {
        En => "The code works for 24 hours, once.",
        Fr => "Ce code est valable 24 heures, une seule fois.",
        He => "הקוד תקף ל-24 שעות, לשימוש אחד.",
    };
    let (subject, before, after): (&str, Vec<String>, Vec<String>) = match (letter, language) {
        (Letter::EmailVerification { .. }, En) => (
            "Confirm your address for Ava",
            vec!["Type this code in the Ava app to confirm your e-mail address:".into()],
            vec![hours_24.into()],
        ),
        (Letter::EmailVerification { .. }, Fr) => (
            "Confirmez votre adresse pour Ava",
            vec!["Saisissez ce code dans l’application Ava pour confirmer votre adresse e-mail :".into()],
            vec![hours_24.into()],
        ),
        (Letter::EmailVerification { .. }, He) => (
            "אישור כתובת הדוא״ל שלך ב-Ava",
            vec!["הקלידו את הקוד הזה באפליקציית Ava כדי לאשר את כתובת הדוא״ל:".into()],
            vec![hours_24.into()],
        ),
        (Letter::PasswordReset { .. }, En) => (
            "Your Ava password reset code",
            vec!["Someone asked to reset the password of your Ava account. Type this code in the app:".into()],
            vec![minutes_30.into()],
        ),
        (Letter::PasswordReset { .. }, Fr) => (
            "Votre code de réinitialisation Ava",
            vec!["Une réinitialisation du mot de passe de votre compte Ava a été demandée. Saisissez ce code dans l’application :".into()],
            vec![minutes_30.into()],
        ),
        (Letter::PasswordReset { .. }, He) => (
            "קוד לאיפוס הסיסמה שלך ב-Ava",
            vec!["התקבלה בקשה לאפס את הסיסמה של חשבון Ava שלך. הקלידו את הקוד הזה באפליקציה:".into()],
            vec![minutes_30.into()],
        ),
        (Letter::PasswordChanged, En) => (
            "Your Ava password was changed",
            vec!["The password of your Ava account was just changed. Every other computer signed in to it was signed out.".into()],
            vec![],
        ),
        (Letter::PasswordChanged, Fr) => (
            "Votre mot de passe Ava a été modifié",
            vec!["Le mot de passe de votre compte Ava vient d’être modifié. Tous les autres ordinateurs connectés ont été déconnectés.".into()],
            vec![],
        ),
        (Letter::PasswordChanged, He) => (
            "הסיסמה שלך ב-Ava שונתה",
            vec!["הסיסמה של חשבון Ava שלך שונתה זה עתה. כל המחשבים האחרים שהיו מחוברים אליו נותקו.".into()],
            vec![],
        ),
        (Letter::EmailChange { .. }, En) => (
            "Confirm your new address for Ava",
            vec!["Type this code in the Ava app to make this your account’s address:".into()],
            vec![hours_24.into()],
        ),
        (Letter::EmailChange { .. }, Fr) => (
            "Confirmez votre nouvelle adresse pour Ava",
            vec!["Saisissez ce code dans l’application Ava pour en faire l’adresse de votre compte :".into()],
            vec![hours_24.into()],
        ),
        (Letter::EmailChange { .. }, He) => (
            "אישור הכתובת החדשה שלך ב-Ava",
            vec!["הקלידו את הקוד הזה באפליקציית Ava כדי שזו תהיה כתובת החשבון שלכם:".into()],
            vec![hours_24.into()],
        ),
        (Letter::EmailChanged { new_email }, En) => (
            "Your Ava account has a new address",
            vec![format!("Your Ava account now uses {}. Mail about it goes there from now on.", isolate(new_email, En))],
            vec![],
        ),
        (Letter::EmailChanged { new_email }, Fr) => (
            "Votre compte Ava a une nouvelle adresse",
            vec![format!("Votre compte Ava utilise désormais {}. Les messages le concernant y seront envoyés.", isolate(new_email, Fr))],
            vec![],
        ),
        (Letter::EmailChanged { new_email }, He) => (
            "לחשבון Ava שלך יש כתובת חדשה",
            vec![format!("חשבון Ava שלך משתמש מעכשיו בכתובת {}. הודעות על החשבון יישלחו אליה.", isolate(new_email, He))],
            vec![],
        ),
        (Letter::SignInEndedForSafety, En) => (
            "We ended a sign-in to your Ava account",
            vec!["One sign-in to your Ava account was used from two places at once, which happens when it is copied. We ended it for safety; sign in again in the app.".into()],
            vec!["If you did not copy the app’s data to another computer, change your password in Settings.".into()],
        ),
        (Letter::SignInEndedForSafety, Fr) => (
            "Nous avons fermé une connexion à votre compte Ava",
            vec!["Une connexion à votre compte Ava a servi depuis deux endroits à la fois, ce qui arrive quand elle est copiée. Nous l’avons fermée par sécurité ; reconnectez-vous dans l’application.".into()],
            vec!["Si vous n’avez pas copié les données de l’application sur un autre ordinateur, changez votre mot de passe dans les Réglages.".into()],
        ),
        (Letter::SignInEndedForSafety, He) => (
            "ניתקנו התחברות לחשבון Ava שלך",
            vec!["התחברות לחשבון Ava שלך שימשה משני מקומות בבת אחת, מה שקורה כשהיא מועתקת. ניתקנו אותה ליתר ביטחון; התחברו שוב באפליקציה.".into()],
            vec!["אם לא העתקתם את נתוני האפליקציה למחשב אחר, החליפו את הסיסמה בהגדרות.".into()],
        ),
        (Letter::AccountDeleted, En) => (
            "Your Ava account was deleted",
            vec!["Your Ava account and everything it held on our server were deleted, as you asked. This is the last mail we send you.".into()],
            vec![],
        ),
        (Letter::AccountDeleted, Fr) => (
            "Votre compte Ava a été supprimé",
            vec!["Votre compte Ava et tout ce qu’il contenait sur notre serveur ont été supprimés, comme vous l’avez demandé. Ceci est notre dernier message.".into()],
            vec![],
        ),
        (Letter::AccountDeleted, He) => (
            "חשבון Ava שלך נמחק",
            vec!["חשבון Ava שלך וכל מה שהיה בו בשרת שלנו נמחקו, כפי שביקשתם. זו ההודעה האחרונה שנשלח אליכם.".into()],
            vec![],
        ),
    };
    Words {
        subject,
        before,
        after,
    }
}

fn not_you(letter: &Letter, language: Language) -> &'static str {
    let asked = matches!(
        letter,
        Letter::EmailVerification { .. }
            | Letter::PasswordReset { .. }
            | Letter::EmailChange { .. }
    );
    match (asked, language) {
        (true, Language::En) => {
            "Not you? Then someone typed your address by mistake: ignore this mail, nothing changes without the code."
        }
        (true, Language::Fr) => {
            "Ce n’était pas vous ? Quelqu’un a saisi votre adresse par erreur : ignorez ce message, rien ne change sans le code."
        }
        (true, Language::He) => {
            "לא אתם? כנראה מישהו הקליד את הכתובת שלכם בטעות: התעלמו מההודעה, שום דבר לא ישתנה בלי הקוד."
        }
        (false, Language::En) => {
            "Not you? Reset your password from the Ava app’s sign-in screen (“Forgot your password?”) right away."
        }
        (false, Language::Fr) => {
            "Ce n’était pas vous ? Réinitialisez tout de suite votre mot de passe depuis l’écran de connexion de l’application Ava (« Mot de passe oublié ? »)."
        }
        (false, Language::He) => {
            "לא אתם? אפסו מיד את הסיסמה ממסך ההתחברות של אפליקציית Ava („שכחת סיסמה?”)."
        }
    }
}

/// Left-to-right text (a code, an address) kept whole inside a right-to-left sentence.
fn isolate(text: &str, language: Language) -> String {
    if language.right_to_left() {
        format!("\u{2066}{text}\u{2069}")
    } else {
        text.to_owned()
    }
}

fn code_of(letter: &Letter) -> Option<String> {
    match letter {
        Letter::EmailVerification { code }
        | Letter::PasswordReset { code }
        | Letter::EmailChange { code, .. } => Some(format!(
            "{} {}",
            &code[..4.min(code.len())],
            &code[4.min(code.len())..]
        )),
        _ => None,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn write(letter: &Letter, language: Language) -> Written {
    let words = words(letter, language);
    let not_you = not_you(letter, language);
    let code = code_of(letter);
    let mut text = String::new();
    for paragraph in &words.before {
        text.push_str(paragraph);
        text.push_str("\n\n");
    }
    if let Some(code) = &code {
        text.push_str("    ");
        text.push_str(&isolate(code, language));
        text.push_str("\n\n");
    }
    for paragraph in &words.after {
        text.push_str(paragraph);
        text.push_str("\n\n");
    }
    text.push_str("— \n");
    text.push_str(not_you);
    text.push('\n');

    let (dir, align) = if language.right_to_left() {
        ("rtl", "right")
    } else {
        ("ltr", "left")
    };
    let paragraph = |p: &String| {
        // An address inside a sentence is isolated in the text part; in HTML the markup does it.
        let plain = p.replace(['\u{2066}', '\u{2069}'], "");
        format!("<p style=\"margin:0 0 16px\">{}</p>", escape(&plain))
    };
    let mut body = String::new();
    body.extend(words.before.iter().map(paragraph));
    if let Some(code) = &code {
        body.push_str(&format!(
            "<p style=\"margin:8px 0 24px;font:600 30px/1.2 ui-monospace,Menlo,Consolas,monospace;letter-spacing:3px;text-align:{align}\"><bdi dir=\"ltr\">{}</bdi></p>",
            escape(code)
        ));
    }
    body.extend(words.after.iter().map(paragraph));
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
         <body style=\"margin:0;padding:24px;background:#f4f5f7;color:#1b1d21;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Arial,sans-serif\">\
         <div style=\"max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:28px;text-align:{align}\">\
         <h1 style=\"margin:0 0 20px;font-size:20px\">{subject}</h1>{body}\
         <hr style=\"border:0;border-top:1px solid #d6d9de;margin:24px 0 16px\"><p style=\"margin:0;color:#4a4f57;font-size:14px\">{not_you}</p>\
         </div></body></html>\n",
        lang = language.code(),
        subject = escape(words.subject),
        not_you = escape(not_you),
    );
    Written {
        subject: words.subject.to_owned(),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_letter() -> Vec<Letter> {
        vec![
            Letter::EmailVerification {
                code: "12345678".into(),
            },
            Letter::PasswordReset {
                code: "12345678".into(),
            },
            Letter::PasswordChanged,
            Letter::EmailChange {
                code: "12345678".into(),
                new_email: "new@example.com".into(),
            },
            Letter::EmailChanged {
                new_email: "new@example.com".into(),
            },
            Letter::SignInEndedForSafety,
            Letter::AccountDeleted,
        ]
    }

    #[test]
    fn every_letter_is_written_in_every_language_with_its_code_grouped() {
        for letter in every_letter() {
            let mut subjects = Vec::new();
            for language in [Language::En, Language::Fr, Language::He] {
                let written = write(&letter, language);
                subjects.push(written.subject.clone());
                assert!(written.text.contains(not_you(&letter, language)));
                assert!(
                    written
                        .html
                        .contains(&format!("lang=\"{}\"", language.code()))
                );
                if code_of(&letter).is_some() {
                    assert!(
                        written.text.contains("1234 5678"),
                        "{letter:?} {language:?}"
                    );
                    assert!(written.html.contains("<bdi dir=\"ltr\">1234 5678</bdi>"));
                }
                if language == Language::He {
                    assert!(written.html.contains("dir=\"rtl\""));
                    if code_of(&letter).is_some() {
                        assert!(written.text.contains("\u{2066}1234 5678\u{2069}"));
                    }
                }
            }
            subjects.dedup();
            assert_eq!(
                subjects.len(),
                3,
                "each language has its own words: {subjects:?}"
            );
        }
    }

    #[test]
    fn what_an_address_holds_is_escaped_in_html() {
        let written = write(
            &Letter::EmailChanged {
                new_email: "a<script>@example.com".into(),
            },
            Language::En,
        );
        assert!(!written.html.contains("<script>"));
        assert!(written.html.contains("a&lt;script&gt;@example.com"));
    }
}
