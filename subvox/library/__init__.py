"""The library: discovery, output layout and done-markers, batches, failures, atomic writes."""
