//! Connections per client: one address may hold at most `MAX_CONNECTIONS_PER_CLIENT` of the
//! server's `MAX_CONNECTIONS` at once. The global ceiling is taken before `accept`, so without
//! this a single client that opens connections and sends nothing (or a byte at a time) would
//! keep every slot and leave everyone else in the listen queue. A connection past a client's
//! share is closed as soon as it is accepted, so it never holds a slot. Trusted proxies are
//! exempt (all their clients arrive through them; nginx caps each client with `limit_conn`).
//! IPv6 clients are counted per /64, the block one subscriber usually holds whole.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

use ipnet::IpNet;

use crate::extract::canonical;

#[derive(Clone)]
pub struct ClientSlots {
    per_client: usize,
    trusted: Arc<Vec<IpNet>>,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// A connection's place in its client's share; given back when dropped.
pub struct ClientSlot {
    client: Option<IpAddr>,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// The address a client is counted by: IPv4 whole (also when mapped into IPv6), IPv6 by its /64.
fn bucket(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

impl ClientSlots {
    pub fn new(per_client: usize, trusted: Vec<IpNet>) -> Self {
        Self {
            per_client: per_client.max(1),
            trusted: Arc::new(trusted),
            held: Arc::default(),
        }
    }

    /// A place for a connection from `peer`, or `None` when that client holds its share.
    pub fn take(&self, peer: IpAddr) -> Option<ClientSlot> {
        // Trust is judged on the address itself: a proxy's /128 is not its whole /64.
        if self
            .trusted
            .iter()
            .any(|net| net.contains(&canonical(peer)))
        {
            return Some(ClientSlot {
                client: None,
                held: Arc::clone(&self.held),
            });
        }
        let client = bucket(peer);
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let count = held.entry(client).or_insert(0);
        if *count >= self.per_client {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            client: Some(client),
            held: Arc::clone(&self.held),
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let Some(client) = self.client else { return };
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = held.get_mut(&client) {
            *count -= 1;
            if *count == 0 {
                held.remove(&client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_at_most_its_share_and_gets_it_back() {
        let slots = ClientSlots::new(2, vec!["10.0.0.0/8".parse().unwrap()]);
        let one: IpAddr = "203.0.113.1".parse().unwrap();
        let a = slots.take(one).unwrap();
        let _b = slots.take(one).unwrap();
        assert!(slots.take(one).is_none());
        assert!(slots.take("203.0.113.2".parse().unwrap()).is_some());
        drop(a);
        assert!(
            slots.take(one).is_some(),
            "a closed connection gives its place back"
        );
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let through_proxy: Vec<_> = (0..5).map(|_| slots.take(proxy)).collect();
        assert!(
            through_proxy.iter().all(Option::is_some),
            "trusted proxies are exempt"
        );
        let v6 = ClientSlots::new(1, vec!["2001:db8::5/128".parse().unwrap()]);
        let v6_proxy: Vec<_> = (0..3)
            .map(|_| v6.take("2001:db8::5".parse().unwrap()))
            .collect();
        assert!(
            v6_proxy.iter().all(Option::is_some),
            "a proxy trusted by its own address, not its /64"
        );
        let _held = v6.take("2001:db8::6".parse().unwrap()).unwrap();
        assert!(
            v6.take("2001:db8::7".parse().unwrap()).is_none(),
            "its neighbours are not"
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let slots = ClientSlots::new(1, vec![]);
        let _held = slots.take("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(
            slots
                .take("2001:db8:1:2:ffff::9".parse().unwrap())
                .is_none()
        );
        assert!(slots.take("2001:db8:1:3::1".parse().unwrap()).is_some());
        assert!(slots.take("::ffff:203.0.113.1".parse().unwrap()).is_some());
    }
}
