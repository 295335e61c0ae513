"""The controller machinery every control loop shares, after client-go:

- workqueue: keys to sync; a key is never processed twice at once and repeated adds
  collapse ("fair and stingy"); per-key exponential backoff on failure; add_after.
- informer: list then watch one kind into a local cache, calling handlers on change;
  relists when its watch revision was compacted away (Gone).
"""
