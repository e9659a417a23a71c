//! TLS for SIP on 5061 and, optionally, the control channel: a configured certificate, or a
//! self-signed one generated at start (the check does not verify the reflector's certificate
//! for the SIP-over-TLS test: it looks at what arrives, not at who signed it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Where the certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CertificateSource {
    /// Generate a self-signed certificate for these names at start.
    #[default]
    SelfSigned,
    /// PEM files: the certificate chain and its private key.
    Files { certificate: PathBuf, key: PathBuf },
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the certificate {path}: {detail}")]
    Certificate { path: PathBuf, detail: String },
    #[error("cannot read the private key {path}: {detail}")]
    Key { path: PathBuf, detail: String },
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(String),
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(String),
}

/// Builds the rustls server configuration (TLS 1.2 and 1.3, ring provider).
pub fn server_config(source: &CertificateSource) -> Result<Arc<ServerConfig>, TlsError> {
    let (chain, key) = match source {
        CertificateSource::SelfSigned => self_signed()?,
        CertificateSource::Files { certificate, key } => (read_chain(certificate)?, read_key(key)?),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(Arc::new(config))
}

fn self_signed() -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let names = vec!["sipwall-reflector".to_owned(), "localhost".to_owned()];
    let generated =
        rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
    let key = PrivatePkcs8KeyDer::from(generated.signing_key.serialize_der());
    Ok((vec![generated.cert.der().clone()], key.into()))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let error = |detail: String| TlsError::Certificate {
        path: path.to_owned(),
        detail,
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| error(e.to_string()))?;
    if chain.is_empty() {
        return Err(error("no CERTIFICATE block in the file".into()));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Key {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_configuration_builds() {
        let config = server_config(&CertificateSource::SelfSigned).unwrap();
        assert!(config.alpn_protocols.is_empty());
    }

    #[test]
    fn missing_files_name_the_file() {
        let error = server_config(&CertificateSource::Files {
            certificate: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
        })
        .unwrap_err()
        .to_string();
        assert!(error.contains("/nonexistent/cert.pem"), "{error}");
    }
}
