//! The project file `ferry.yaml`: connections, environments, the store and the time zone.
