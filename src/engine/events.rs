//! The job's live event stream: every [`Event`] goes, as it happens, to every listener that is still
//! there. Listeners are unbounded channels, so none misses an event (a progress bar must see the step end,
//! a portal must see the cycle end); a listener that went away is forgotten at the next event.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::engine::result::Event;

/// Where the job's events go: any number of listeners, added at any time.
#[derive(Debug, Clone, Default)]
pub struct EventHub {
    listeners: Arc<Mutex<Vec<UnboundedSender<Event>>>>,
}

impl EventHub {
    /// A new listener: it receives every event sent from now on.
    pub fn subscribe(&self) -> UnboundedReceiver<Event> {
        let (tx, rx) = unbounded_channel();
        self.attach(tx);
        rx
    }

    /// Adds a listener the caller made.
    pub fn attach(&self, listener: UnboundedSender<Event>) {
        self.with(|l| l.push(listener));
    }

    /// Whether anyone listens (a closed listener counts until the next event).
    pub fn is_heard(&self) -> bool {
        self.with(|l| !l.is_empty())
    }

    /// Sends `event` to every listener and forgets those that went away.
    pub fn send(&self, event: &Event) {
        self.with(|l| l.retain(|tx| tx.send(event.clone()).is_ok()));
    }

    fn with<T>(&self, f: impl FnOnce(&mut Vec<UnboundedSender<Event>>) -> T) -> T {
        // A poisoned lock means a listener list was being changed when something panicked; the list is
        // still a valid list.
        let mut guard = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listener_gets_every_event_and_a_gone_one_is_forgotten() {
        let hub = EventHub::default();
        assert!(!hub.is_heard());
        let mut a = hub.subscribe();
        let b = hub.subscribe();
        let event = Event::Progress { cycle: 1, done: 1, total: 2 };
        hub.send(&event);
        drop(b);
        hub.send(&event);
        assert_eq!((a.try_recv().ok(), a.try_recv().ok()), (Some(event.clone()), Some(event)));
        assert_eq!(hub.with(|l| l.len()), 1, "the dropped listener is forgotten");
    }
}
