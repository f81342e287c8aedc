"""The web layer: thin routes that validate, call a capability and render."""
