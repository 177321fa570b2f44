//! Mock HaloPSA (placeholder, being written).
