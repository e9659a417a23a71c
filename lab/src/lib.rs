//! # sipwall-lab
//!
//! A network-namespace lab for testing VoIP through NAT: a LAN client behind a Linux
//! NAT router (masquerade, kernel SIP ALG, conntrack timeouts, dropped ports, random
//! loss, port forwards), a public server with two addresses, an optional on-site PBX
//! and an optional second (carrier-grade) NAT layer.
//!
//! ```no_run
//! use sipwall_lab::{AlgPort, Lab, Nat};
//! let lab = Lab::builder().nat(Nat::PortPreserving).sip_alg(AlgPort::udp(5060)).build()?;
//! let socket = lab.client().udp_socket("10.77.0.2:0".parse().unwrap())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Needs root. Every lab uses its own namespaces, so labs can run in parallel; they
//! are deleted when the [`Lab`] is dropped.

pub mod conntrack;
pub mod error;
pub mod host;
mod lab;
pub mod netns;
pub mod probe;
pub mod router;
pub mod selftest;
pub mod topology;

pub use conntrack::{ConntrackEntry, FlowTuple};
pub use error::{LabError, LabResult};
pub use host::{Host, Role};
pub use lab::{Lab, LabBuilder};
pub use topology::{
    AlgPort, Direction, DropRule, LabOptions, Loss, Nat, PortForward, PortRange, Transport,
};
