//! Word lists for the seeded sandbox data: believable people, companies and places.

use rand::Rng;
use rand::seq::IndexedRandom;

pub const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Amelia", "Noah", "Isla", "Oliver", "Ava", "Jack", "Mia", "Leo", "Grace",
    "Arthur", "Sophia", "Harry", "Freya", "Oscar", "Chloe", "George", "Emily", "Lucas", "Priya",
    "Arjun", "Mei", "Hiroshi", "Fatima", "Omar", "Ingrid", "Lars", "Zoe", "Mateo", "Lucia",
    "Diego", "Hannah", "Felix", "Aisha", "Kwame", "Elena", "Marco", "Sofia", "Tom",
];

pub const LAST_NAMES: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Nguyen", "Kim", "Tanaka", "Garcia", "Martinez", "Rossi",
    "Muller", "Schmidt", "Larsen", "Okafor", "Mensah", "Chen", "Singh", "Khan", "O'Brien",
    "MacLeod", "Novak", "Dubois", "Silva",
];

pub const COMPANY_WORDS: &[&str] = &[
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Harbour",
    "Summit",
    "Blue Fern",
    "Ironbark",
    "Kestrel",
    "Meridian",
    "Pioneer",
    "Redwood",
    "Silverline",
    "Tidewater",
    "Copperleaf",
    "Granite",
    "Lighthouse",
    "Orchard",
    "Riverbend",
    "Sunrise",
    "Westgate",
    "Alder",
    "Beacon",
    "Cedar",
    "Driftwood",
    "Evergreen",
];

pub const COMPANY_KINDS: &[&str] = &[
    "Traders",
    "Logistics",
    "Studios",
    "Foods",
    "Engineering",
    "Consulting",
    "Supplies",
    "Outfitters",
    "Labs",
    "Imports",
    "Builders",
    "Health",
];

pub const COMPANY_SUFFIXES: &[&str] = &["Ltd", "Pty Ltd", "Inc.", "LLC", "GmbH", "Co.", "Limited"];

/// City, state, postal code, country (ISO 3166 alpha-2) and telephone prefix.
pub const PLACES: &[(&str, &str, &str, &str, &str)] = &[
    ("London", "", "EC1A 1BB", "GB", "+44 20"),
    ("Manchester", "", "M1 1AE", "GB", "+44 161"),
    ("Edinburgh", "", "EH1 1YZ", "GB", "+44 131"),
    ("Sydney", "NSW", "2000", "AU", "+61 2"),
    ("Melbourne", "VIC", "3000", "AU", "+61 3"),
    ("Brisbane", "QLD", "4000", "AU", "+61 7"),
    ("Auckland", "", "1010", "NZ", "+64 9"),
    ("Chicago", "IL", "60611", "US", "+1 312"),
    ("Seattle", "WA", "98101", "US", "+1 206"),
    ("Austin", "TX", "73301", "US", "+1 512"),
    ("Toronto", "ON", "M5H 2N2", "CA", "+1 416"),
    ("Dublin", "", "D02 X285", "IE", "+353 1"),
    ("Berlin", "", "10115", "DE", "+49 30"),
    ("Amsterdam", "", "1012 JS", "NL", "+31 20"),
    ("Cape Town", "WC", "8001", "ZA", "+27 21"),
];

pub const STREETS: &[&str] = &[
    "High Street",
    "Station Road",
    "King Street",
    "Queen Street",
    "Market Square",
    "George Street",
    "Park Lane",
    "Harbour Road",
    "Mill Lane",
    "Church Road",
    "Collins Street",
    "Main Street",
    "Elm Avenue",
    "Bridge Street",
    "North Terrace",
];

pub const JOB_TITLES: &[&str] = &[
    "Director",
    "Finance Manager",
    "Accounts Payable",
    "Buyer",
    "Operations Lead",
    "Founder",
    "Office Manager",
    "Procurement Officer",
    "CFO",
    "Sales Manager",
    "Bookkeeper",
];

pub const TITLES: &[&str] = &["Mr", "Ms", "Mrs", "Dr", "Mx"];

pub const PRODUCTS: &[&str] = &[
    "Desk Lamp",
    "Office Chair",
    "Standing Desk",
    "Monitor Arm",
    "Notebook A5",
    "Fountain Pen",
    "Cable Kit",
    "Whiteboard",
    "Filing Cabinet",
    "Coffee Beans 1kg",
    "Support Plan (monthly)",
    "Onboarding Workshop",
    "Ergonomic Mouse",
    "Keyboard",
    "Headset",
    "Webcam",
    "Paper Ream",
    "Printer Toner",
    "Bookshelf",
    "Plant Pot",
];

pub fn pick<'a, R: Rng>(rng: &mut R, words: &[&'a str]) -> &'a str {
    words.choose(rng).copied().unwrap_or("")
}

pub fn company_name<R: Rng>(rng: &mut R) -> String {
    format!(
        "{} {} {}",
        pick(rng, COMPANY_WORDS),
        pick(rng, COMPANY_KINDS),
        pick(rng, COMPANY_SUFFIXES)
    )
}

/// A lower-case domain derived from a company name, e.g. `northwind-traders.example`.
pub fn domain_of(company: &str) -> String {
    let mut words: Vec<String> = company
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    words.truncate(2);
    format!("{}.example", words.join("-"))
}

pub fn email_local(first: &str, last: &str) -> String {
    let clean = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    format!("{}.{}", clean(first), clean(last))
}

pub fn phone<R: Rng>(rng: &mut R, prefix: &str) -> String {
    format!(
        "{prefix} {:04} {:04}",
        rng.random_range(1000..10000),
        rng.random_range(0..10000)
    )
}

/// A random (version 4) UUID, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
pub fn uuid_v4<R: Rng>(rng: &mut R) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
