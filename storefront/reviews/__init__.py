"""Reviews from verified buyers: who may write one, moderation, what pages show, invites."""
