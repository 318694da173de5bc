//! TLS for the engine's HTTP listeners (the webserver and the k8s_audit webhook), in a
//! module of its own so that neither the pipeline nor the sources depend on the other for it.

use std::path::Path;
use std::sync::Arc;

/// A TLS acceptor from Falco's `ssl_certificate`: one PEM file with the private key and the
/// certificate chain.
pub(crate) fn tls_acceptor(path: &Path) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let name = path.display();
    let bytes =
        std::fs::read(path).map_err(|e| format!("ssl_certificate {name}: cannot read: {e}"))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("ssl_certificate {name}: not a valid PEM certificate: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "ssl_certificate {name}: no certificate (the file must hold the private key and the certificate, in PEM)"
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        format!("ssl_certificate {name}: no usable private key (the file must hold the private key and the certificate, in PEM): {e}")
    })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let server = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!("ssl_certificate {name}: the key and certificate are not usable: {e}")
        })?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(server)))
}
