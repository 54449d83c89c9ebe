"""The domain: value objects, the lifecycle table and the field rules."""
