"""Photos and video: perceptual hashes, metadata, matching."""
