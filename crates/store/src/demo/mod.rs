//! A demo prefecture: 楚雄彝族自治州 with two counties, 牟定县 (7 townships, about
//! 24,000 entities) and 南华县 (10 townships, about 26,000), each with 14 departments
//! in the five domains, about 150 inspectors, item lists with real legal bases, and
//! accounts of every role; above them a province administrator and the prefecture's
//! oversight office.
//!
//! Deterministic: the same data on every machine and every run, so screenshots, tests
//! and benchmarks agree. The generator is a fixed splitmix64 rather than a `rand`
//! generator, whose output may change between crate versions.

use chrono::NaiveDate;
use liancha_domain::check_points::CheckPoint;
use liancha_domain::uscc::{CHARSET, org_code_check};
use liancha_domain::workflow::ResultCategory;
use liancha_domain::{
    Department, Domain, Entity, EntityStatus, EntityType, Industry, InspectionMethod, Inspector,
    InspectorStatus, Item, JointItemList, RiskClass, RuleBook, Township, Uscc,
};

use crate::bulk::EntityWriter;
use crate::{Result, Store, StoreError};

/// Size of the generated county.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub legal_persons: usize,
    pub individuals: usize,
}

impl DemoSize {
    /// The seed county: about 3,400 legal-person units and 20,600 individual businesses.
    pub const COUNTY: DemoSize = DemoSize {
        legal_persons: 3_400,
        individuals: 20_600,
    };
}

/// The demo counties and the levels above them (GB/T 2260).
pub const DIVISIONS: [(&str, &str); 4] = [
    ("530000", "云南省"),
    ("532300", "楚雄彝族自治州"),
    ("532323", "牟定县"),
    ("532324", "南华县"),
];

/// One county of the demo: its code and names, townships (GB/T 10114), the place
/// words its businesses' names and addresses use, and its generator's seed.
#[derive(Debug, Clone, Copy)]
pub struct DemoCounty {
    pub code: &'static str,
    /// 牟定县
    pub name: &'static str,
    /// 牟定, as in 楚雄州生态环境局牟定分局
    pub short: &'static str,
    pub townships: &'static [(&'static str, &'static str)],
    villages: &'static [&'static str],
    trade_names: &'static [&'static str],
    seed: u64,
    /// Its size against 牟定县's: the demo's sizes are 牟定县's.
    scale_percent: usize,
    /// Demo account names: 牟定县's are the short ones (admin, bianban …).
    account_prefix: &'static str,
}

impl DemoCounty {
    pub fn division(&self) -> liancha_domain::org::DivisionCode {
        liancha_domain::org::DivisionCode::parse(self.code).expect("valid demo code")
    }

    /// The county's size for a demo of `size` (which is 牟定县's).
    pub fn size(&self, size: DemoSize) -> DemoSize {
        DemoSize {
            legal_persons: size.legal_persons * self.scale_percent / 100,
            individuals: size.individuals * self.scale_percent / 100,
        }
    }
}

pub const MOUDING: DemoCounty = DemoCounty {
    code: "532323",
    name: "牟定县",
    short: "牟定",
    townships: &TOWNSHIPS,
    villages: VILLAGES,
    trade_names: TRADE_NAMES,
    seed: 0x6D75_6469_6E67, // "muding"
    scale_percent: 100,
    account_prefix: "",
};

pub const NANHUA: DemoCounty = DemoCounty {
    code: "532324",
    name: "南华县",
    short: "南华",
    townships: &NANHUA_TOWNSHIPS,
    villages: NANHUA_VILLAGES,
    trade_names: NANHUA_TRADE_NAMES,
    seed: 0x6E61_6E68_7561, // "nanhua"
    scale_percent: 110,
    account_prefix: "nh-",
};

/// The demo's counties.
pub const COUNTIES: [DemoCounty; 2] = [MOUDING, NANHUA];

impl DemoCounty {
    /// A county of a generated province (the province-scale benchmark): its own code,
    /// names, townships and seed, 牟定县's place words and trade names, accounts
    /// named after its code.
    pub fn generated(
        code: &'static str,
        name: &'static str,
        short: &'static str,
        townships: &'static [(&'static str, &'static str)],
        seed: u64,
    ) -> DemoCounty {
        DemoCounty {
            code,
            name,
            short,
            townships,
            seed,
            account_prefix: "",
            ..MOUDING
        }
    }
}

/// The demo's counties, by code.
pub fn counties() -> Vec<liancha_domain::org::DivisionCode> {
    COUNTIES.iter().map(DemoCounty::division).collect()
}

pub const TOWNSHIPS: [(&str, &str); 7] = [
    ("532323100", "共和镇"),
    ("532323101", "新桥镇"),
    ("532323102", "江坡镇"),
    ("532323103", "凤屯镇"),
    ("532323200", "蟠猫乡"),
    ("532323201", "戌街乡"),
    ("532323202", "安乐乡"),
];

/// 南华县's six towns and four townships.
pub const NANHUA_TOWNSHIPS: [(&str, &str); 10] = [
    ("532324100", "龙川镇"),
    ("532324101", "沙桥镇"),
    ("532324102", "五街镇"),
    ("532324103", "红土坡镇"),
    ("532324104", "马街镇"),
    ("532324105", "兔街镇"),
    ("532324200", "雨露白族乡"),
    ("532324201", "一街乡"),
    ("532324202", "罗武庄乡"),
    ("532324203", "五顶山乡"),
];

/// (code, name, domain, inspectors): 牟定县's; another county's names its own
/// (see [`departments_of`]).
pub const DEPARTMENTS: [(&str, &str, Domain, usize); 14] = [
    ("amr", "牟定县市场监督管理局", Domain::Market, 26),
    ("health", "牟定县卫生健康局", Domain::Market, 12),
    ("emergency", "牟定县应急管理局", Domain::Market, 10),
    ("commerce", "牟定县工业商务和信息化局", Domain::Market, 8),
    ("ecology", "楚雄州生态环境局牟定分局", Domain::Ecology, 12),
    ("natres", "牟定县自然资源局", Domain::Ecology, 10),
    ("water", "牟定县水务局", Domain::Ecology, 8),
    ("culture", "牟定县文化和旅游局", Domain::Culture, 8),
    ("cultenf", "牟定县文化市场综合执法大队", Domain::Culture, 8),
    ("police", "牟定县公安局", Domain::Culture, 8),
    ("transport", "牟定县交通运输局", Domain::Transport, 12),
    ("traffic", "牟定县公安局交通管理大队", Domain::Transport, 8),
    ("agri", "牟定县农业农村局", Domain::Agriculture, 14),
    ("forestry", "牟定县林业和草原局", Domain::Agriculture, 6),
];

/// A county's departments: 牟定县's, with the county's own name.
pub fn departments_of(county: &DemoCounty) -> Vec<(&'static str, String, Domain, usize)> {
    DEPARTMENTS
        .iter()
        .map(|(code, name, domain, n)| (*code, name.replace("牟定", county.short), *domain, *n))
        .collect()
}

/// Each department's numbering (机关代字 as counties write them, e.g.
/// 牟市监抽〔2026〕3号) with a valid agency code (统一社会信用代码 of a 机关: 1 1, the
/// division, an organisation code, the check character).
pub fn issuers_of(county: &DemoCounty) -> Vec<crate::numbers::DepartmentIssuer> {
    let first = county.short.chars().next().unwrap_or('县');
    [
        ("amr", "市监"),
        ("health", "卫健"),
        ("emergency", "应急"),
        ("commerce", "工信"),
        ("ecology", "环"),
        ("natres", "自然资"),
        ("water", "水务"),
        ("culture", "文旅"),
        ("cultenf", "文执"),
        ("police", "公"),
        ("transport", "交"),
        ("traffic", "公交管"),
        ("agri", "农"),
        ("forestry", "林草"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (department, word))| {
        let body = format!("MB{:06}", 100 + i);
        let org = format!(
            "{body}{}",
            liancha_domain::uscc::org_code_check(body.as_bytes()).unwrap_or('0')
        );
        crate::numbers::DepartmentIssuer {
            department: (*department).into(),
            plan_word: format!("{first}{word}抽计"),
            task_word: format!("{first}{word}抽"),
            notice_word: format!("{first}{word}检通"),
            agency_code: Uscc::complete(&format!("11{}{org}", county.code))
                .map(|u| u.as_str().to_string())
                .unwrap_or_default(),
        }
    })
    .collect()
}

/// splitmix64: tiny, fixed, deterministic.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// True with probability `per_mille`/1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

fn uscc(g: &mut Gen, county: &str, kind: u8) -> Uscc {
    let mut body = String::from("MA");
    for _ in 0..6 {
        // GB 11714 bodies use digits and capitals; the USCC charset is a subset of those.
        body.push(*g.pick(CHARSET) as char);
    }
    let check = org_code_check(body.as_bytes()).expect("charset is valid");
    let first17 = format!("9{}{county}{body}{check}", kind as char);
    Uscc::complete(&first17).expect("charset is valid")
}

fn person(g: &mut Gen) -> String {
    format!("{}{}", g.pick(SURNAMES), g.pick(GIVEN))
}

fn weighted_industry(
    g: &mut Gen,
) -> &'static (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    u64,
) {
    let total: u64 = INDUSTRIES.iter().map(|i| i.4).sum();
    let mut r = g.next() % total;
    for i in INDUSTRIES {
        if r < i.4 {
            return i;
        }
        r -= i.4;
    }
    unreachable!("weights cover the range")
}

fn date_between(g: &mut Gen, from_year: i32, to_year: i32) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(from_year, 1, 1).expect("valid");
    let days = (NaiveDate::from_ymd_opt(to_year, 12, 31).expect("valid") - start).num_days();
    start + chrono::Duration::days((g.next() % days as u64) as i64)
}

/// 牟定县's demo entities, in a fixed order; ids are unique.
pub fn entities(size: DemoSize) -> Vec<Entity> {
    entities_of(&MOUDING, size)
}

/// A county's demo entities, in a fixed order; ids are unique, also across counties
/// (a USCC carries its county's code).
pub fn entities_of(county: &DemoCounty, size: DemoSize) -> Vec<Entity> {
    let mut g = Gen(county.seed);
    let (townships, trade_names) = (county.townships, county.trade_names);
    let mut seen = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(size.legal_persons + size.individuals);
    let total = size.legal_persons + size.individuals;
    while out.len() < total {
        let n = out.len();
        let legal = n < size.legal_persons;
        let cooperative = legal && n % 7 == 0;
        let township = townships[if g.chance(350) {
            0
        } else {
            g.below(townships.len())
        }]
        .1;
        let ind = if cooperative {
            &INDUSTRIES[18 + g.below(2)]
        } else {
            weighted_industry(&mut g)
        };
        let trade = g.pick(trade_names);
        let (entity_type, kind, shape) = if cooperative {
            let crop = g.pick(&[
                "烤烟",
                "蔬菜",
                "核桃",
                "生猪",
                "肉牛",
                "花椒",
                "蚕桑",
                "中药材",
            ]);
            (
                EntityType::Cooperative,
                b'3',
                (
                    format!("{}{township}", county.name),
                    format!("{crop}专业合作社"),
                ),
            )
        } else if legal {
            let form = g.pick(&["有限公司", "有限责任公司", "有限公司"]);
            (
                EntityType::Enterprise,
                b'1',
                (county.name.to_string(), format!("{}{form}", ind.2)),
            )
        } else {
            (
                EntityType::IndividualBusiness,
                b'2',
                (format!("{}{township}", county.name), ind.1.to_string()),
            )
        };
        // Two businesses of one registration area never share a name: a taken name
        // gets a four-character trade name, as real ones do, chosen without drawing
        // from the generator so that every other entity stays as it was.
        let len = trade_names.len();
        let name = std::iter::once(format!("{}{trade}{}", shape.0, shape.1))
            .chain((0..len * len).map(|k| {
                let k = (n + k) % (len * len);
                format!(
                    "{}{}{}{}",
                    shape.0,
                    trade_names[k / len],
                    trade_names[k % len],
                    shape.1
                )
            }))
            .chain((2..).map(|k| format!("{}{trade}{k}{}", shape.0, shape.1)))
            .find(|name| !names.contains(name))
            .expect("numbered names never run out");
        // A few old individual businesses never got a USCC and carry only a registration number.
        let (uscc, reg_no) = if !legal && g.chance(8) {
            (None, format!("{}600{:06}", county.code, g.below(1_000_000)))
        } else {
            (Some(uscc(&mut g, county.code, kind)), String::new())
        };
        let industry = Industry::parse(ind.0).expect("demo industries are valid");
        let status = match g.next() % 100 {
            0..=92 => EntityStatus::Active,
            93..=97 => EntityStatus::Deregistered,
            98 => EntityStatus::Revoked,
            _ => EntityStatus::MovedOut,
        };
        let risk_class = match g.next() % 100 {
            0..=19 => RiskClass::A,
            20..=79 => RiskClass::B,
            80..=94 => RiskClass::C,
            _ => RiskClass::D,
        };
        let entity = Entity {
            id: match &uscc {
                Some(u) => u.to_string(),
                None => liancha_domain::rows::stable_entity_id(&reg_no, &name, township),
            },
            uscc,
            reg_no,
            name,
            entity_type,
            industry: Some(industry),
            township: township.into(),
            address: format!(
                "{township}{}{}号",
                g.pick(county.villages),
                1 + g.below(200)
            ),
            legal_rep: person(&mut g),
            registered_on: Some(date_between(&mut g, 1998, 2025)),
            status,
            risk_class,
            abnormal: g.chance(30),
            blacklisted: g.chance(3),
            tags: ind.3.map(|t| vec![t.to_string()]).unwrap_or_default(),
        };
        if seen.insert(entity.id.clone()) {
            names.insert(entity.name.clone());
            out.push(entity);
        }
    }
    out
}

/// 牟定县's demo inspectors.
pub fn inspectors() -> Vec<Inspector> {
    inspectors_of(&MOUDING)
}

/// A county's demo inspectors: ids begin with the county's code.
pub fn inspectors_of(county: &DemoCounty) -> Vec<Inspector> {
    let mut g = Gen(0x696E_7370 ^ county.seed.rotate_left(17) ^ MOUDING.seed.rotate_left(17));
    let mut out = Vec::new();
    for (d, (code, _, domain, count)) in DEPARTMENTS.iter().enumerate() {
        for k in 0..*count {
            let status = match g.next() % 100 {
                0..=89 => InspectorStatus::OnDuty,
                90..=94 => InspectorStatus::OnLeave,
                95..=97 => InspectorStatus::Seconded,
                _ => InspectorStatus::Departed,
            };
            let valid_until = if g.chance(50) {
                date_between(&mut g, 2025, 2026)
            } else {
                date_between(&mut g, 2027, 2030)
            };
            out.push(Inspector {
                id: format!("{}{:02}{:02}", county.code, d + 1, k + 1),
                name: person(&mut g),
                department: (*code).into(),
                certificate_no: format!(
                    "{}{:02}{:07}",
                    &county.code[..2],
                    d + 1,
                    g.below(10_000_000)
                ),
                certificate_valid_until: valid_until,
                specialties: {
                    let mut s = vec![format!("{}执法", domain.label())];
                    if *code == "amr" && k % SPECIALISTS_EVERY == 1 {
                        s.extend(ITEM_SPECIALTIES.iter().map(|(_, sp)| (*sp).to_string()));
                    }
                    s
                },
                township: if g.chance(400) {
                    Some(county.townships[g.below(county.townships.len())].1.into())
                } else {
                    None
                },
                status,
                phone: Some(format!("139{:08}", g.below(100_000_000))),
            });
        }
    }
    out
}

pub fn items() -> Vec<Item> {
    ITEMS
        .iter()
        .map(|(code, dept, name, basis, content, methods)| Item {
            code: (*code).into(),
            name: (*name).into(),
            legal_basis: (*basis).into(),
            department: (*dept).into(),
            content: (*content).into(),
            methods: methods.to_vec(),
            authority: "行政检查".into(),
            entity_types: Vec::new(),
            published: true,
            specialty: ITEM_SPECIALTIES
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, s)| (*s).to_string()),
            ..attributes(code)
        })
        .collect()
}

/// An item's attributes from [`ITEM_ATTRIBUTES`], the rest of it empty.
fn attributes(code: &str) -> Item {
    let mut item = Item::default();
    if let Some((_, key, ratio, frequency, cooperating, national)) =
        ITEM_ATTRIBUTES.iter().find(|a| a.0 == code)
    {
        if *key {
            item.category = liancha_domain::ItemCategory::Key;
        }
        item.ratio_bp = Some(*ratio).filter(|r| *r > 0);
        item.frequency = Some(*frequency);
        item.cooperating = cooperating.iter().map(|c| (*c).to_string()).collect();
        item.national_code = Some((*national).to_string()).filter(|c| !c.is_empty());
    }
    item
}

/// The demo items' check points.
pub fn check_points() -> Vec<CheckPoint> {
    CHECK_POINTS
        .iter()
        .map(
            |(item, code, content, method, clause, pass, fail, category)| CheckPoint {
                item: (*item).into(),
                code: (*code).into(),
                content: (*content).into(),
                method: *method,
                clause: (*clause).into(),
                pass_text: (*pass).into(),
                fail_text: (*fail).into(),
                fail_category: *category,
            },
        )
        .collect()
}

/// 牟定县's joint item lists.
pub fn joint_item_lists() -> Vec<JointItemList> {
    joint_item_lists_of(&MOUDING)
}

/// A county's joint item lists, one per domain.
pub fn joint_item_lists_of(county: &DemoCounty) -> Vec<JointItemList> {
    Domain::ALL
        .iter()
        .map(|domain| {
            let depts: Vec<&str> = DEPARTMENTS
                .iter()
                .filter(|d| d.2 == *domain)
                .map(|d| d.0)
                .collect();
            JointItemList {
                code: format!("LC-{}", domain.code()),
                name: format!(
                    "{}{}领域跨部门随机联查事项清单",
                    county.name,
                    domain.label()
                ),
                domain: *domain,
                lead_department: depts[0].into(),
                items: ITEMS
                    .iter()
                    .filter(|i| depts.contains(&i.1))
                    .map(|i| i.0.to_string())
                    .collect(),
                published: true,
            }
        })
        .collect()
}

pub fn rule_books() -> Vec<RuleBook> {
    Domain::ALL
        .iter()
        .map(|d| {
            let mut r = RuleBook::default_for(*d);
            if *d == Domain::Ecology {
                // Pollution sources: a higher floor, as environmental rules book it.
                r.ratio_bp = [500, 1000, 2000, 5000];
            }
            r
        })
        .collect()
}

/// Fills an empty database with the demo prefecture: the tree, then each county with
/// its townships, departments, rule books, items, joint lists, inspectors and
/// entities (`size` is 牟定县's; 南华县 is a tenth larger). Refuses a database whose
/// demo counties already hold entities, so a real county's data is never mixed with
/// invented data. `progress` is told the entities written of all the counties'.
pub async fn load(
    store: &Store,
    size: DemoSize,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<()> {
    load_at(store, size, crate::directories::now(), progress).await
}

/// [`load`], its setup (divisions, joint item lists) entered in the audit trail at
/// `at`: when the demo county began its year on liancha, so that the trail reads in
/// the order things happened.
pub async fn load_at(
    store: &Store,
    size: DemoSize,
    at: chrono::DateTime<chrono::Utc>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<()> {
    for c in &COUNTIES {
        if store.county(&c.division()).counts().await?.entities > 0 {
            return Err(StoreError::invalid(
                "数据库中已有检查对象，演示数据只能载入空数据库",
            ));
        }
    }
    let known = store.divisions().await?;
    let tree: Vec<liancha_domain::org::Division> = DIVISIONS
        .iter()
        .map(|(code, name)| liancha_domain::org::Division {
            code: liancha_domain::org::DivisionCode::parse(code).expect("valid demo code"),
            name: (*name).into(),
        })
        .filter(|d| !known.iter().any(|k| k.code == d.code))
        .collect();
    if !tree.is_empty() {
        store
            .add_divisions(&tree, &crate::accounts::Actor::system("demo"), at)
            .await?;
    }
    let total: u64 = COUNTIES
        .iter()
        .map(|c| {
            let s = c.size(size);
            (s.legal_persons + s.individuals) as u64
        })
        .sum();
    let mut done = 0u64;
    for c in &COUNTIES {
        load_county(store, c, c.size(size), at, &mut |n| {
            done += n;
            progress(done, total)
        })
        .await?;
    }
    Ok(())
}

/// Loads one county of the demo (or a generated one) into a division that exists:
/// townships, departments, rule books, items, joint item lists, inspectors and `size`
/// entities, reporting the entities written.
pub async fn load_county(
    store: &Store,
    demo: &DemoCounty,
    size: DemoSize,
    at: chrono::DateTime<chrono::Utc>,
    written: &mut (dyn FnMut(u64) + Send),
) -> Result<()> {
    let county = store.county(&demo.division());
    for (i, (code, name)) in demo.townships.iter().enumerate() {
        county
            .put_township(
                &Township {
                    code: (*code).into(),
                    name: (*name).into(),
                },
                i as i64,
            )
            .await?;
    }
    for (code, name, domain, _) in departments_of(demo) {
        county
            .put_department(&Department {
                code: code.into(),
                name,
                domain,
            })
            .await?;
    }
    let system = crate::accounts::Actor::system("demo");
    for issuer in issuers_of(demo) {
        county.set_issuer(&issuer, &system, at).await?;
    }
    for r in rule_books() {
        county.put_rule_book(&r).await?;
    }
    county.put_items(&items()).await?;
    let points = check_points();
    for item in ITEMS.iter().map(|i| i.0) {
        let own: Vec<CheckPoint> = points.iter().filter(|p| p.item == item).cloned().collect();
        if !own.is_empty() {
            county.put_check_points(item, &own).await?;
        }
    }
    let lists = joint_item_lists_of(demo);
    county.save_joint_item_lists(&lists, &system, at).await?;
    // The county's 编办 approved them (审定), as the notice requires before they are public.
    for a in county.joint_list_approvals().await? {
        if lists.iter().any(|l| l.code == a.code && l.published) {
            county
                .approve_joint_item_list(&a.code, a.revision, &system, "县委编办", at)
                .await?;
        }
    }
    county.put_inspectors(&inspectors_of(demo)).await?;
    let all = entities_of(demo, size);
    let mut w = EntityWriter::begin(&county).await?;
    for chunk in all.chunks(5_000) {
        w.write(chunk).await?;
        written(chunk.len() as u64);
    }
    w.commit().await
}

mod accounts;
mod data;

pub use accounts::*;
use data::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_valid() {
        let size = DemoSize {
            legal_persons: 300,
            individuals: 700,
        };
        let a = entities(size);
        assert_eq!(a, entities(size));
        assert_eq!(a.len(), 1000);
        for e in &a {
            if let Some(u) = &e.uscc {
                Uscc::parse(u.as_str()).unwrap();
                assert_eq!(u.division(), "532323");
            }
        }
        assert!(
            a.iter()
                .take(300)
                .all(|e| e.entity_type != EntityType::IndividualBusiness)
        );
        assert_eq!(inspectors().len(), 150);
    }

    #[test]
    fn every_department_numbers_its_documents() {
        for county in [&MOUDING, &NANHUA] {
            let issuers = issuers_of(county);
            assert_eq!(issuers.len(), DEPARTMENTS.len());
            for (i, (code, ..)) in issuers.iter().zip(DEPARTMENTS.iter()) {
                assert_eq!(i.department, *code);
                for word in [&i.plan_word, &i.task_word, &i.notice_word] {
                    liancha_domain::numbering::IssuerWord::parse(word).unwrap();
                }
                let agency = Uscc::parse(&i.agency_code).unwrap();
                assert_eq!(agency.division(), county.code);
            }
            let mut codes: Vec<&str> = issuers.iter().map(|i| i.agency_code.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), DEPARTMENTS.len(), "agency codes differ");
        }
    }

    /// Two businesses of one registration area cannot share a name, in the demo
    /// county at its full size either.
    #[test]
    fn names_are_unique() {
        let all = entities(DemoSize::COUNTY);
        let names: std::collections::BTreeSet<&str> = all.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn counties_differ_and_carry_their_codes() {
        let size = DemoSize {
            legal_persons: 50,
            individuals: 150,
        };
        let m = entities_of(&MOUDING, MOUDING.size(size));
        let n = entities_of(&NANHUA, NANHUA.size(size));
        assert_eq!(n.len(), 220);
        let ids: std::collections::BTreeSet<&str> =
            m.iter().chain(&n).map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), m.len() + n.len(), "no id in two counties");
        for e in &n {
            if let Some(u) = &e.uscc {
                assert_eq!(u.division(), "532324");
            }
            assert!(NANHUA_TOWNSHIPS.iter().any(|t| t.1 == e.township));
            assert!(e.name.starts_with("南华县"), "{}", e.name);
        }
        assert!(
            inspectors_of(&NANHUA)
                .iter()
                .all(|i| i.id.starts_with("532324"))
        );
        assert!(
            departments_of(&NANHUA)
                .iter()
                .all(|d| !d.1.contains("牟定"))
        );
        assert_eq!(departments_of(&NANHUA)[0].1, "南华县市场监督管理局");
    }

    #[test]
    fn every_item_department_exists() {
        for i in items() {
            assert!(
                DEPARTMENTS.iter().any(|d| d.0 == i.department),
                "{}",
                i.code
            );
        }
    }
}
