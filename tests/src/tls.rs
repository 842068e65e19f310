//! Certificates made for one test run: a certificate authority that signs a certificate for
//! `127.0.0.1` and `localhost` and client certificates, and a TLS acceptor for the loopback
//! servers of `hostile`, which may require a client certificate signed by another authority.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority of this run, with the server certificate it signed.
pub struct Authority {
    certificate: rcgen::Certificate,
    key: KeyPair,
    server: (rcgen::Certificate, KeyPair),
}

impl Authority {
    /// A new authority named `name`, and a server certificate for loopback signed by it.
    pub fn new(name: &str) -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().expect("a CA key");
        let certificate = params.self_signed(&key).expect("a CA certificate");
        let server = Self::sign(&certificate, &key, vec!["127.0.0.1".into(), "localhost".into()], "loopback");
        Authority { certificate, key, server }
    }

    fn sign(
        ca: &rcgen::Certificate,
        ca_key: &KeyPair,
        names: Vec<String>,
        common_name: &str,
    ) -> (rcgen::Certificate, KeyPair) {
        let mut params = CertificateParams::new(names).expect("certificate parameters");
        params.distinguished_name.push(DnType::CommonName, common_name);
        let key = KeyPair::generate().expect("a key");
        let certificate = params.signed_by(&key, ca, ca_key).expect("a signed certificate");
        (certificate, key)
    }

    /// The authority's certificate, PEM.
    pub fn pem(&self) -> String {
        self.certificate.pem()
    }

    /// A client certificate named `name` signed by this authority, and its key: one PEM text.
    pub fn client_identity_pem(&self, name: &str) -> String {
        let (certificate, key) = Self::sign(&self.certificate, &self.key, Vec::new(), name);
        format!("{}{}", certificate.pem(), key.serialize_pem())
    }

    /// An acceptor showing the server certificate; with `clients`, it asks every client for a
    /// certificate signed by that authority and refuses one without.
    pub fn acceptor(&self, clients: Option<&Authority>) -> tokio_rustls::TlsAcceptor {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("TLS versions");
        let builder = match clients {
            None => builder.with_no_client_auth(),
            Some(clients) => {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(clients.certificate.der().clone()).expect("the client authority");
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .expect("a client verifier");
                builder.with_client_cert_verifier(verifier)
            }
        };
        let (certificate, key) = &self.server;
        let chain: Vec<CertificateDer<'static>> = vec![certificate.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let config = builder.with_single_cert(chain, key).expect("the server certificate");
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }
}
