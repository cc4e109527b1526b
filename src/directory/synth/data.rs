//! Built-in word lists for the synthetic generator: names, departments, titles, places, team names.
//! ASCII letters only in names, so userPrincipalNames need no escaping.

#[rustfmt::skip]
pub(super) const FIRST_NAMES: &[&str] = &[
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
    "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen", "Charles",
    "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Sandra", "Mark", "Margaret", "Donald", "Ashley",
    "Steven", "Kimberly", "Andrew", "Emily", "Paul", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin",
    "Amanda", "Brian", "Melissa", "Timothy", "Deborah", "Ronald", "Stephanie", "George", "Rebecca", "Jason",
    "Sharon", "Edward", "Laura", "Jeffrey", "Cynthia", "Ryan", "Dorothy", "Jacob", "Amy", "Nicholas", "Kathleen",
    "Gary", "Angela", "Eric", "Shirley", "Jonathan", "Emma", "Stephen", "Brenda", "Larry", "Pamela", "Justin",
    "Nicole", "Scott", "Anna", "Brandon", "Samantha", "Benjamin", "Katherine", "Samuel", "Christine", "Gregory",
    "Debra", "Alexander", "Rachel", "Patrick", "Carolyn", "Frank", "Janet", "Raymond", "Maria", "Jack", "Olivia",
    "Dennis", "Heather", "Jerry", "Helen", "Tyler", "Catherine", "Aaron", "Diane", "Jose", "Julie", "Adam",
    "Victoria", "Nathan", "Joyce", "Henry", "Lauren", "Zachary", "Kelly", "Douglas", "Christina", "Peter", "Ruth",
    "Kyle", "Joan", "Noah", "Virginia", "Ethan", "Judith", "Jeremy", "Evelyn", "Christian", "Hannah", "Walter",
    "Andrea", "Keith", "Megan", "Austin", "Cheryl", "Roger", "Jacqueline", "Terry", "Madison", "Sean", "Teresa",
    "Gerald", "Abigail", "Carl", "Sophia", "Dylan", "Martha", "Harold", "Sara", "Jordan", "Gloria", "Jesse",
    "Janice", "Bryan", "Kathryn", "Lawrence", "Ann", "Arthur", "Isabella", "Gabriel", "Judy", "Bruce", "Charlotte",
    "Logan", "Julia", "Billy", "Grace", "Joe", "Amber", "Alan", "Alice", "Juan", "Jean", "Elijah", "Denise",
    "Willie", "Frances", "Albert", "Danielle", "Wayne", "Marilyn", "Randy", "Natalie", "Mason", "Beverly",
    "Vincent", "Diana", "Liam", "Brittany", "Roy", "Theresa", "Bobby", "Kayla", "Caleb", "Alexis", "Bradley",
    "Doris", "Russell", "Lori", "Lucas", "Tiffany", "Priya", "Wei", "Aiko", "Lars", "Ingrid", "Mateo", "Lucia",
    "Ahmed", "Fatima", "Kenji", "Yuki", "Arjun", "Ananya", "Sven", "Astrid", "Pierre", "Camille", "Hans",
];

#[rustfmt::skip]
pub(super) const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
    "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers",
    "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim",
    "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza",
    "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster",
    "Jimenez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson",
    "Barnes", "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton",
    "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson",
    "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison",
    "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman",
    "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez",
    "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black",
    "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza",
    "Daniels", "Ferguson", "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn",
    "Kumar", "Singh", "Wang", "Zhang", "Liu", "Tanaka", "Suzuki", "Sato", "Larsen", "Johansson", "Muller",
    "Schneider", "Dubois", "Moreau", "Rossi", "Bianchi", "Novak", "Kowalski", "Okafor", "Mensah", "Haddad",
    "Nakamura",
];

pub(super) struct Department {
    pub name: &'static str,
    pub titles: [&'static str; 4],
}

/// Index 0 is the executive office (the CEO's department); the others each get a vice president.
pub(super) const DEPARTMENTS: &[Department] = &[
    Department {
        name: "Executive Office",
        titles: ["Executive Assistant", "Chief of Staff", "Executive Business Partner", "Strategy Analyst"],
    },
    Department {
        name: "Engineering",
        titles: ["Software Engineer", "Senior Software Engineer", "Principal Engineer", "Site Reliability Engineer"],
    },
    Department {
        name: "Sales",
        titles: ["Account Executive", "Sales Development Representative", "Solutions Engineer", "Account Manager"],
    },
    Department {
        name: "Marketing",
        titles: ["Marketing Specialist", "Content Strategist", "Product Marketing Manager", "Brand Designer"],
    },
    Department {
        name: "Finance",
        titles: ["Financial Analyst", "Accountant", "Senior Accountant", "Payroll Specialist"],
    },
    Department {
        name: "Human Resources",
        titles: ["HR Generalist", "Recruiter", "HR Business Partner", "Benefits Specialist"],
    },
    Department { name: "Legal", titles: ["Corporate Counsel", "Paralegal", "Contracts Manager", "Compliance Analyst"] },
    Department {
        name: "Operations",
        titles: ["Operations Analyst", "Program Manager", "Logistics Coordinator", "Procurement Specialist"],
    },
    Department {
        name: "Customer Support",
        titles: ["Support Engineer", "Customer Success Manager", "Support Specialist", "Escalation Engineer"],
    },
    Department {
        name: "Product Management",
        titles: ["Product Manager", "Senior Product Manager", "Product Owner", "UX Researcher"],
    },
    Department {
        name: "Research",
        titles: ["Research Scientist", "Data Scientist", "Research Engineer", "Applied Scientist"],
    },
    Department {
        name: "IT",
        titles: ["Systems Administrator", "Identity Engineer", "Service Desk Analyst", "Network Engineer"],
    },
];

/// An office location.
pub(super) struct Place {
    pub city: &'static str,
    pub state: &'static str,
    pub country: &'static str,
    pub usage_location: &'static str,
    pub postal_code: &'static str,
    pub language: &'static str,
    /// Phone number up to the last four digits (fictional ranges where the country has one).
    pub phone: &'static str,
    pub mobile: &'static str,
}

macro_rules! place {
    ($city:literal, $state:literal, $country:literal, $usage:literal, $postal:literal, $lang:literal, $phone:literal, $mobile:literal) => {
        Place {
            city: $city,
            state: $state,
            country: $country,
            usage_location: $usage,
            postal_code: $postal,
            language: $lang,
            phone: $phone,
            mobile: $mobile,
        }
    };
}

pub(super) const PLACES: &[Place] = &[
    place!("Redmond", "WA", "United States", "US", "98052", "en-US", "+1 425 555 ", "+1 425 555 "),
    place!("Seattle", "WA", "United States", "US", "98101", "en-US", "+1 206 555 ", "+1 206 555 "),
    place!("New York", "NY", "United States", "US", "10001", "en-US", "+1 212 555 ", "+1 917 555 "),
    place!("Austin", "TX", "United States", "US", "78701", "en-US", "+1 512 555 ", "+1 737 555 "),
    place!("Chicago", "IL", "United States", "US", "60601", "en-US", "+1 312 555 ", "+1 872 555 "),
    place!("San Francisco", "CA", "United States", "US", "94105", "en-US", "+1 415 555 ", "+1 628 555 "),
    place!("Boston", "MA", "United States", "US", "02110", "en-US", "+1 617 555 ", "+1 857 555 "),
    place!("Atlanta", "GA", "United States", "US", "30303", "en-US", "+1 404 555 ", "+1 470 555 "),
    place!("Toronto", "ON", "Canada", "CA", "M5H 2N2", "en-CA", "+1 416 555 ", "+1 647 555 "),
    place!("London", "England", "United Kingdom", "GB", "EC2V 7HH", "en-GB", "+44 20 7946 ", "+44 7700 90"),
    place!("Dublin", "Leinster", "Ireland", "IE", "D02 X285", "en-IE", "+353 1 555 ", "+353 85 555 "),
    place!("Munich", "Bavaria", "Germany", "DE", "80331", "de-DE", "+49 89 555 ", "+49 151 555 "),
    place!("Paris", "Ile-de-France", "France", "FR", "75002", "fr-FR", "+33 1 99 00 ", "+33 6 39 98 "),
    place!("Bengaluru", "Karnataka", "India", "IN", "560001", "en-IN", "+91 80 5555 ", "+91 98 5555 "),
    place!("Tokyo", "Tokyo", "Japan", "JP", "100-0005", "ja-JP", "+81 3 5555 ", "+81 90 5555 "),
    place!("Sydney", "NSW", "Australia", "AU", "2000", "en-AU", "+61 2 5550 ", "+61 491 570 "),
];

#[rustfmt::skip]
pub(super) const STREETS: &[&str] = &[
    "Main Street", "Oak Avenue", "Pine Street", "Maple Drive", "Cedar Lane", "Lake View Road", "Market Street",
    "Park Avenue", "Hill Road", "River Road", "Station Road", "Church Street", "High Street", "Elm Street",
    "Washington Avenue", "Sunset Boulevard",
];

#[rustfmt::skip]
pub(super) const TEAM_ADJECTIVES: &[&str] = &[
    "Blue", "Red", "Green", "Silver", "Golden", "Swift", "Bright", "Quiet", "Bold", "Northern", "Southern",
    "Eastern", "Western", "Rapid", "Steady", "Clever", "Brave", "Crimson", "Amber", "Emerald", "Azure", "Iron",
    "Crystal", "Lunar", "Solar", "Polar", "Coastal", "Alpine", "Urban", "Summit",
];

#[rustfmt::skip]
pub(super) const TEAM_NOUNS: &[&str] = &[
    "Falcon", "Harbor", "Orchid", "Comet", "Beacon", "Canyon", "Cedar", "Delta", "Ember", "Fjord", "Glacier",
    "Horizon", "Island", "Jaguar", "Kestrel", "Lagoon", "Meadow", "Nebula", "Otter", "Pioneer", "Quartz", "Raven",
    "Sierra", "Tundra", "Vertex", "Willow", "Zephyr", "Atlas", "Bridge", "Compass",
];

pub(super) const TEAM_KINDS: &[&str] = &["Project", "Team", "Guild", "Squad", "Working Group"];
