//! "Talk to Ava": the conversation of this run. It lives in memory only: a try-out, not a
//! record (Vapi keeps its own copy under the chat id).

use ava_ipc::ChatLine;

/// The longest message the owner may send in one turn.
pub const CHAT_MAX: usize = 2_000;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChatSession {
    /// Vapi's id of the last turn: the next one continues from it.
    pub previous_chat_id: Option<String>,
    pub lines: Vec<ChatLine>,
}

impl ChatSession {
    /// One turn: the owner's words, then Ava's, under the chat id Vapi gave the turn.
    pub fn answered(&mut self, chat_id: String, said: &str, answer: String) {
        self.previous_chat_id = Some(chat_id);
        self.lines.push(ChatLine {
            from_owner: true,
            text: said.to_owned(),
        });
        self.lines.push(ChatLine {
            from_owner: false,
            text: answer,
        });
    }
}
