//! Transport addresses in attributes (RFC 8489 §14.1 MAPPED-ADDRESS format, §14.2 the XOR
//! form). RFC 3489 §11.2.1 and RFC 5780 §7.1 reuse the plain format for their addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// RFC 8489 §14.1: address family 0x01.
pub const FAMILY_IPV4: u8 = 0x01;
/// RFC 8489 §14.1: address family 0x02.
pub const FAMILY_IPV6: u8 = 0x02;

/// Value length of an address attribute: 4 + 4 (IPv4) or 4 + 16 (IPv6) bytes.
pub(crate) const fn value_len(addr: &SocketAddr) -> usize {
    match addr {
        SocketAddr::V4(_) => 8,
        SocketAddr::V6(_) => 20,
    }
}

/// Why an address attribute value could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddressError {
    Length,
    Family(u8),
}

/// Reads a plain (`xor = None`) or XOR'ed (`xor = Some(bytes 4..20 of the header)`) address.
/// The first byte is reserved and ignored (RFC 8489 §14.1: "MUST be ignored by receivers").
pub(crate) fn decode(value: &[u8], xor: Option<&[u8; 16]>) -> Result<SocketAddr, AddressError> {
    let zero = [0u8; 16];
    let mask = xor.unwrap_or(&zero);
    let family = *value.get(1).ok_or(AddressError::Length)?;
    let (len, port_bytes) = match (family, value) {
        (FAMILY_IPV4, [_, _, p0, p1, ..]) => (8, [*p0, *p1]),
        (FAMILY_IPV6, [_, _, p0, p1, ..]) => (20, [*p0, *p1]),
        (FAMILY_IPV4 | FAMILY_IPV6, _) => return Err(AddressError::Length),
        (other, _) => return Err(AddressError::Family(other)),
    };
    if value.len() != len {
        return Err(AddressError::Length);
    }
    let port = u16::from_be_bytes([port_bytes[0] ^ mask[0], port_bytes[1] ^ mask[1]]);
    let ip = if family == FAMILY_IPV4 {
        let mut octets = [0u8; 4];
        for (i, o) in octets.iter_mut().enumerate() {
            *o = value[4 + i] ^ mask[i];
        }
        IpAddr::V4(Ipv4Addr::from(octets))
    } else {
        let mut octets = [0u8; 16];
        for (i, o) in octets.iter_mut().enumerate() {
            *o = value[4 + i] ^ mask[i];
        }
        IpAddr::V6(Ipv6Addr::from(octets))
    };
    Ok(SocketAddr::new(ip, port))
}

/// Appends the value (reserved byte, family, port, address), XOR'ed when `xor` is given.
/// Whole-word XORs into fixed-size arrays: this runs several times per reply.
pub(crate) fn encode(out: &mut Vec<u8>, addr: &SocketAddr, xor: Option<&[u8; 16]>) {
    let mask = u128::from_be_bytes(xor.copied().unwrap_or([0; 16]));
    let port = addr.port() ^ (mask >> 112) as u16;
    let [p0, p1] = port.to_be_bytes();
    match addr.ip() {
        IpAddr::V4(ip) => {
            let [a, b, c, d] = (u32::from(ip) ^ (mask >> 96) as u32).to_be_bytes();
            out.extend_from_slice(&[0, FAMILY_IPV4, p0, p1, a, b, c, d]);
        }
        IpAddr::V6(ip) => {
            out.extend_from_slice(&[0, FAMILY_IPV6, p0, p1]);
            out.extend_from_slice(&(u128::from(ip) ^ mask).to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_round_trip_v4_and_v6() {
        for addr in ["192.0.2.1:32853", "[2001:db8::1]:3478", "0.0.0.0:0"] {
            let addr: SocketAddr = addr.parse().unwrap();
            let mut out = Vec::new();
            encode(&mut out, &addr, None);
            assert_eq!(out.len(), value_len(&addr));
            assert_eq!(decode(&out, None), Ok(addr));
        }
    }

    #[test]
    fn xor_masks_port_and_address() {
        let key = [
            0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        ];
        let addr: SocketAddr = "192.0.2.1:32853".parse().unwrap();
        let mut out = Vec::new();
        encode(&mut out, &addr, Some(&key));
        // RFC 5769 §2.2: 192.0.2.1:32853 XOR'ed with the cookie.
        assert_eq!(out, [0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43]);
        assert_eq!(decode(&out, Some(&key)), Ok(addr));
    }

    #[test]
    fn rejects_bad_family_and_lengths() {
        assert_eq!(
            decode(&[0, 3, 0, 0, 1, 2, 3, 4], None),
            Err(AddressError::Family(3))
        );
        assert_eq!(
            decode(&[0, 1, 0, 0, 1, 2, 3], None),
            Err(AddressError::Length)
        );
        assert_eq!(
            decode(&[0, 2, 0, 0, 1, 2, 3, 4], None),
            Err(AddressError::Length)
        );
        assert_eq!(decode(&[0], None), Err(AddressError::Length));
        assert_eq!(decode(&[], None), Err(AddressError::Length));
    }
}
