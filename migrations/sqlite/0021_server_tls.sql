-- A server's own TLS settings, by reference as its token is (secrets.rs): the certificate
-- authority to trust, and the client certificate with its key (clients.rs).
ALTER TABLE servers ADD COLUMN tls_ca TEXT;
ALTER TABLE servers ADD COLUMN tls_client TEXT;
