-- Where the server's management API is, when it is not on the base URL: TorchServe lists its
-- models and versions on a port of its own (8081 by default), apart from inference (8080).
ALTER TABLE servers ADD COLUMN management_url TEXT CHECK (management_url IS NULL OR length(management_url) <= 2048);
