"""berth's ansible-runner wrapper: pure argument building (args), event accounting (events), generated
secrets (secrets_file), rich progress (progress) and the runner itself (runner, imports ansible_runner)."""
