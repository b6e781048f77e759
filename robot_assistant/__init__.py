"""The robot assistant: listen → understand → act → speak, and face sign-in. Device code lives here."""
