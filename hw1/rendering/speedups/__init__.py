"""Optional WeasyPrint speed-ups for warm re-renders (see README.md here): they reach into WeasyPrint's
internals, so they install only on a checked WeasyPrint version and can be switched off."""
