//! Generated company names for seed data, shared by every mock: plausible names from word lists
//! ("Blue Logistics Ltd", "Granite Dental Limited") and, every 23rd one, a name that stresses URL
//! encoding, escaping and Unicode handling.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::Rng;

const ADJECTIVES: &[&str] = &[
    "Blue",
    "Bright",
    "Northern",
    "Silver",
    "Rapid",
    "Golden",
    "Summit",
    "Coastal",
    "Granite",
    "Evergreen",
    "Crimson",
    "Harbour",
    "Pioneer",
    "Quantum",
    "Red",
    "Royal",
    "Sterling",
    "Urban",
    "Valley",
    "Western",
    "Maple",
    "Oak",
    "Iron",
    "Crystal",
    "Alpine",
    "Prairie",
    "Lakeside",
    "Highland",
    "Sunrise",
    "Cedar",
];
const NOUNS: &[&str] = &[
    "Logistics",
    "Dental",
    "Accounting",
    "Engineering",
    "Bakery",
    "Consulting",
    "Motors",
    "Architects",
    "Legal",
    "Pharmacy",
    "Foods",
    "Freight",
    "Studios",
    "Clinic",
    "Builders",
    "Analytics",
    "Hotels",
    "Print",
    "Security",
    "Robotics",
    "Textiles",
    "Energy",
    "Outfitters",
    "Labs",
    "Travel",
    "Insurance",
    "Media",
    "Farms",
    "Marine",
    "Software",
];
const SUFFIXES: &[&str] = &[
    "Ltd", "Limited", "Inc.", "LLC", "GmbH", "Group", "& Co", "PLC", "Partners", "Pty Ltd",
];
/// Names that stress URL encoding, escaping and Unicode handling.
const TRICKY: &[&str] = &[
    "A1 Computers (UK) Ltd",
    "Ærø IT ApS",
    "Déjà Vu Café SARL",
    "株式会社サンプル",
    "100% Uptime & Co",
    "Plus+Minus Ltd",
    "Hash#Tag Media",
    "Question? Marks LLC",
    "Slash/Dot Networks",
    "Quote \"Marks\" Inc",
    "Back\\slash Systems",
    "The Extraordinarily Long Named International Holding Company for Regional Facilities Management and Maintenance Services Ltd",
];
/// One random entry of `list`.
pub(crate) fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// The ASCII letters and digits of `name`, lowercased (`"Smith & Sons"` → `"smithsons"`).
pub(crate) fn slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Unique generated company names, in a deterministic order for a given RNG.
#[derive(Debug)]
pub(crate) struct CompanyNames {
    used: HashSet<String>,
    tricky: std::slice::Iter<'static, &'static str>,
    index: usize,
}

impl CompanyNames {
    /// A generator that never returns one of `taken` (the well-known seed names).
    pub fn new(taken: &[&str]) -> CompanyNames {
        CompanyNames {
            used: taken.iter().map(|n| n.to_string()).collect(),
            tricky: TRICKY.iter(),
            index: 0,
        }
    }

    /// The next name (draws from `rng` unless it is a tricky one).
    pub fn next(&mut self, rng: &mut StdRng) -> String {
        let i = self.index;
        self.index += 1;
        let name = match (i % 23 == 5).then(|| self.tricky.next()).flatten() {
            Some(t) => t.to_string(),
            None => loop {
                let n = format!(
                    "{} {} {}",
                    pick(rng, ADJECTIVES),
                    pick(rng, NOUNS),
                    pick(rng, SUFFIXES)
                );
                if !self.used.contains(&n) {
                    break n;
                }
                if self.used.len() > ADJECTIVES.len() * NOUNS.len() * SUFFIXES.len() / 2 {
                    break format!("{n} {i}");
                }
            },
        };
        self.used.insert(name.clone());
        name
    }
}
