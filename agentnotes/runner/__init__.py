"""The runner: untrusted experiment code in a sandbox (bubblewrap, or Landlock + seccomp),
with time, memory and process limits, on a free GPU when there is one. Stdlib only, so it
runs on machines that have PyTorch but not the LLM stack."""
