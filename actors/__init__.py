"""Ray actors that own event inventories: one single-writer actor per event or shard."""
