"""The Sessions tab: session notes, signing, addenda and recovered drafts."""
