//! Fills a database at a province's scale for `scripts/bench-province`: 云南省's 16
//! prefectures and 129 counties (楚雄州's ten by their real codes and names, the others
//! generated), each county set up as the demo county is, 5,000,000 entities in all
//! (牟定县 40,000, every other county 38,760), 20,000+ inspectors, and a year of
//! published joint tasks (12 a county, 300 visits each: 3,600 a county, at least
//! 10,800 in the smallest prefecture), projected for the public search through the
//! code publication uses. Writes the province-wide lookups the load generator asks
//! for (`uscc.txt`, `names.txt`) into OUT_DIR.
//!
//! cargo run --release -p liancha-store --example province_seed -- DB_URL OUT_DIR [ENTITIES]
//!
//! A database already filled is kept (only the lookup files are written again).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod seed;

use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use liancha_domain::org::{Division, DivisionCode};
use liancha_store::demo::{self, DemoCounty, DemoSize};
use liancha_store::tasks::TaskScopeFilter;
use liancha_store::{Store, with_pool};
use seed::{JOINT, Lcg, PublishedTask, check_code};

/// (code, name, its counties' names): 云南省's prefectures and their 129 counties. The
/// names are the real ones; the codes are the prefecture's and a serial number, except
/// 楚雄州's, which are real (the demo's 牟定县 and 南华县 among them).
const PREFECTURES: [(&str, &str, &[&str]); 16] = [
    (
        "5301",
        "昆明市",
        &[
            "五华区",
            "盘龙区",
            "官渡区",
            "西山区",
            "东川区",
            "呈贡区",
            "晋宁区",
            "富民县",
            "宜良县",
            "石林彝族自治县",
            "嵩明县",
            "禄劝彝族苗族自治县",
            "寻甸回族彝族自治县",
            "安宁市",
        ],
    ),
    (
        "5303",
        "曲靖市",
        &[
            "麒麟区",
            "沾益区",
            "马龙区",
            "陆良县",
            "师宗县",
            "罗平县",
            "富源县",
            "会泽县",
            "宣威市",
        ],
    ),
    (
        "5304",
        "玉溪市",
        &[
            "红塔区",
            "江川区",
            "通海县",
            "华宁县",
            "易门县",
            "峨山彝族自治县",
            "新平彝族傣族自治县",
            "元江哈尼族彝族傣族自治县",
            "澄江市",
        ],
    ),
    (
        "5305",
        "保山市",
        &["隆阳区", "施甸县", "龙陵县", "昌宁县", "腾冲市"],
    ),
    (
        "5306",
        "昭通市",
        &[
            "昭阳区",
            "鲁甸县",
            "巧家县",
            "盐津县",
            "大关县",
            "永善县",
            "绥江县",
            "镇雄县",
            "彝良县",
            "威信县",
            "水富市",
        ],
    ),
    (
        "5307",
        "丽江市",
        &[
            "古城区",
            "玉龙纳西族自治县",
            "永胜县",
            "华坪县",
            "宁蒗彝族自治县",
        ],
    ),
    (
        "5308",
        "普洱市",
        &[
            "思茅区",
            "宁洱哈尼族彝族自治县",
            "墨江哈尼族自治县",
            "景东彝族自治县",
            "景谷傣族彝族自治县",
            "镇沅彝族哈尼族拉祜族自治县",
            "江城哈尼族彝族自治县",
            "孟连傣族拉祜族佤族自治县",
            "澜沧拉祜族自治县",
            "西盟佤族自治县",
        ],
    ),
    (
        "5309",
        "临沧市",
        &[
            "临翔区",
            "凤庆县",
            "云县",
            "永德县",
            "镇康县",
            "双江拉祜族佤族布朗族傣族自治县",
            "耿马傣族佤族自治县",
            "沧源佤族自治县",
        ],
    ),
    (
        "5323",
        "楚雄彝族自治州",
        &[
            "楚雄市",
            "双柏县",
            "牟定县",
            "南华县",
            "姚安县",
            "大姚县",
            "永仁县",
            "元谋县",
            "武定县",
            "禄丰市",
        ],
    ),
    (
        "5325",
        "红河哈尼族彝族自治州",
        &[
            "个旧市",
            "开远市",
            "蒙自市",
            "弥勒市",
            "屏边苗族自治县",
            "建水县",
            "石屏县",
            "泸西县",
            "元阳县",
            "红河县",
            "金平苗族瑶族傣族自治县",
            "绿春县",
            "河口瑶族自治县",
        ],
    ),
    (
        "5326",
        "文山壮族苗族自治州",
        &[
            "文山市",
            "砚山县",
            "西畴县",
            "麻栗坡县",
            "马关县",
            "丘北县",
            "广南县",
            "富宁县",
        ],
    ),
    (
        "5328",
        "西双版纳傣族自治州",
        &["景洪市", "勐海县", "勐腊县"],
    ),
    (
        "5329",
        "大理白族自治州",
        &[
            "大理市",
            "漾濞彝族自治县",
            "祥云县",
            "宾川县",
            "弥渡县",
            "南涧彝族自治县",
            "巍山彝族回族自治县",
            "永平县",
            "云龙县",
            "洱源县",
            "剑川县",
            "鹤庆县",
        ],
    ),
    (
        "5331",
        "德宏傣族景颇族自治州",
        &["瑞丽市", "芒市", "梁河县", "盈江县", "陇川县"],
    ),
    (
        "5333",
        "怒江傈僳族自治州",
        &[
            "泸水市",
            "福贡县",
            "贡山独龙族怒族自治县",
            "兰坪白族普米族自治县",
        ],
    ),
    (
        "5334",
        "迪庆藏族自治州",
        &["香格里拉市", "德钦县", "维西傈僳族自治县"],
    ),
];

/// 楚雄州's real codes, in the order of its names above.
const CHUXIONG_CODES: [&str; 10] = [
    "532301", "532322", "532323", "532324", "532325", "532326", "532327", "532328", "532329",
    "532331",
];

/// Town and township names a generated county picks eight of: common ones, so that
/// many counties share some (as 马街镇 or 城关镇 are shared in life).
const TOWNS: [&str; 32] = [
    "城关镇",
    "新街镇",
    "龙街镇",
    "大庄镇",
    "中和镇",
    "太平镇",
    "马街镇",
    "河口镇",
    "板桥镇",
    "大营镇",
    "羊街镇",
    "六街镇",
    "小街镇",
    "三岔河镇",
    "沙甸镇",
    "金山镇",
    "白塔镇",
    "清水镇",
    "永兴乡",
    "黄草坝乡",
    "白沙乡",
    "石板乡",
    "大坪乡",
    "新华乡",
    "双龙乡",
    "云岭乡",
    "团结乡",
    "碧溪乡",
    "平坝乡",
    "鲁史乡",
    "老厂乡",
    "松林乡",
];

/// The county whose directory the re-import benchmark takes.
const REIMPORTED: &str = "532323";
const REIMPORTED_SIZE: usize = 40_000;
const TASKS_PER_COUNTY: usize = 12;
const VISITS_PER_TASK: usize = 300;
/// Visits per INSERT statement.
const CHUNK: usize = 300;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Every county of the province, as the demo generator makes them.
fn counties() -> Vec<DemoCounty> {
    let mut out = Vec::new();
    for (p, (prefecture, _, names)) in PREFECTURES.iter().enumerate() {
        for (k, name) in names.iter().enumerate() {
            let code = if *prefecture == "5323" {
                CHUXIONG_CODES[k]
            } else {
                leak(format!("{prefecture}{:02}", k + 1))
            };
            let county = match code {
                "532323" => demo::MOUDING,
                "532324" => demo::NANHUA,
                _ => {
                    // 石林彝族自治县 → 石林, 香格里拉市 → 香格里拉; 芒市 and 云县 as they are.
                    let bare = name.trim_end_matches(['县', '市', '区']);
                    let short = leak(if name.contains('族') {
                        bare.chars().take(2).collect()
                    } else if bare.chars().count() < 2 {
                        name.to_string()
                    } else {
                        bare.to_string()
                    });
                    let seed = 0x7072_6f76_0000 ^ ((p as u64) << 8 | k as u64);
                    let mut g = Lcg(seed);
                    let mut picked: Vec<&str> = Vec::new();
                    while picked.len() < 8 {
                        let town = TOWNS[g.below(TOWNS.len())];
                        if !picked.contains(&town) {
                            picked.push(town);
                        }
                    }
                    picked.sort_by_key(|t| t.ends_with('乡'));
                    let (mut towns, mut villages) = (100, 200);
                    let townships: Vec<(&'static str, &'static str)> = picked
                        .into_iter()
                        .map(|t| {
                            let serial = if t.ends_with('乡') {
                                villages += 1;
                                villages - 1
                            } else {
                                towns += 1;
                                towns - 1
                            };
                            (leak(format!("{code}{serial}")), t)
                        })
                        .collect();
                    DemoCounty::generated(
                        code,
                        name,
                        short,
                        Box::leak(townships.into_boxed_slice()),
                        seed,
                    )
                }
            };
            out.push(county);
        }
    }
    out
}

fn size_of(county: &DemoCounty, total: usize, counties: usize) -> DemoSize {
    let n = if county.code == REIMPORTED {
        REIMPORTED_SIZE
    } else {
        (total - REIMPORTED_SIZE).div_ceil(counties - 1)
    };
    let legal = n * 14 / 100;
    DemoSize {
        legal_persons: legal,
        individuals: n - legal,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "province_seed DB_URL OUT_DIR [ENTITIES]";
    let url = args.next().ok_or(usage)?;
    let out = std::path::PathBuf::from(args.next().ok_or(usage)?);
    let total: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5_000_000);
    std::fs::create_dir_all(&out)?;
    let store = Store::open(&url).await?;
    let all = counties();
    assert_eq!(all.len(), 129);
    if store.counties().await?.len() == all.len() && store.published_result_count().await? > 0 {
        eprintln!("{url}: already filled; keeping it");
    } else if !store.divisions().await?.is_empty() {
        return Err(format!("{url} is neither empty nor filled: use an empty database").into());
    } else {
        fill(&store, &all, total).await?;
    }
    write_lookups(&store, &all, &out).await?;
    Ok(())
}

async fn fill(
    store: &Store,
    all: &[DemoCounty],
    total: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut tree = vec![Division {
        code: DivisionCode::parse("53")?,
        name: "云南省".into(),
    }];
    for (code, name, _) in PREFECTURES {
        tree.push(Division {
            code: DivisionCode::parse(code)?,
            name: name.into(),
        });
    }
    for c in all {
        tree.push(Division {
            code: c.division(),
            name: c.name.into(),
        });
    }
    let system = liancha_store::accounts::Actor::system("bench");
    store.add_divisions(&tree, &system, Utc::now()).await?;
    let mut entities = 0;
    let mut inspectors = 0;
    for (n, c) in all.iter().enumerate() {
        let size = size_of(c, total, all.len());
        demo::load_county(store, c, size, chrono::Utc::now(), &mut |_| {}).await?;
        // A few more market inspectors than the demo's 150: 20,000 over the province.
        let county = store.county(&c.division());
        let extra: Vec<_> = demo::inspectors_of(c)
            .into_iter()
            .filter(|i| i.department == "amr")
            .take(6)
            .map(|mut i| {
                i.id = format!("{}99{}", c.code, &i.id[i.id.len() - 2..]);
                i.certificate_no = format!("{}9", i.certificate_no);
                i
            })
            .collect();
        county.put_inspectors(&extra).await?;
        let counts = county.counts().await?;
        entities += counts.entities;
        inspectors += counts.inspectors;
        if (n + 1) % 10 == 0 || n + 1 == all.len() {
            eprintln!(
                "{} / {} counties: {entities} entities, {inspectors} inspectors, {:.0?}",
                n + 1,
                all.len(),
                started.elapsed()
            );
        }
    }
    demo::accounts(store, Utc::now()).await?;
    let by: i64 = with_pool!(store, p => sqlx::query_scalar("SELECT id FROM users WHERE username = 'province-admin'").fetch_one(p).await)?;
    // Month by month across the province, as publications come in life: each
    // county's tasks are spread over the year, not one county after another.
    let t = Instant::now();
    let ids: Vec<Vec<String>> = all
        .iter()
        .map(|c| {
            demo::entities_of(c, size_of(c, total, all.len()))
                .into_iter()
                .map(|e| e.id)
                .collect()
        })
        .collect();
    let mut code_no: u64 = 0;
    for month in 0..TASKS_PER_COUNTY {
        for (n, c) in all.iter().enumerate() {
            published_task(store, c.code, n, month, &ids[n], by, &mut code_no).await?;
        }
        eprintln!(
            "month {} of {TASKS_PER_COUNTY} published in every county, {:.0?}",
            month + 1,
            t.elapsed()
        );
    }
    seed::project_and_tidy(store, started).await
}

/// A county's published joint task of one month (the `month`th of the year, from
/// January), written as publication leaves it: visits, two items' results, both
/// departments' approvals. Counties publish a few minutes apart.
async fn published_task(
    store: &Store,
    county: &str,
    n: usize,
    month: usize,
    ids: &[String],
    by: i64,
    code_no: &mut u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let year = liancha_domain::calendar::today_in_china().year();
    let scope = serde_json::to_string(&TaskScopeFilter::default())?;
    let mut g = Lcg(county.parse::<u64>()? << 4 | month as u64);
    {
        let t = month;
        let start = NaiveDate::from_ymd_opt(year, 1, 10).unwrap() + Duration::days(25 * t as i64);
        let end = start + Duration::days(20);
        let published = Utc
            .from_local_datetime(&(end + Duration::days(5)).and_hms_opt(2, 0, 0).unwrap())
            .unwrap()
            + Duration::minutes(n as i64);
        let (lead, other, item_a, item_b, title) = JOINT[t % JOINT.len()];
        let title = format!("{year}年第{}批{title}", t / JOINT.len() + 1);
        let mut chosen = std::collections::BTreeSet::new();
        while chosen.len() < VISITS_PER_TASK.min(ids.len()) {
            chosen.insert(g.below(ids.len()));
        }
        let rows: Vec<(&str, String, bool)> = chosen
            .into_iter()
            .map(|i| {
                *code_no += 1;
                (ids[i].as_str(), check_code(*code_no), g.below(100) < 12)
            })
            .collect();
        let task = PublishedTask {
            county,
            year,
            title: &title,
            joint: (lead, other, item_a, item_b),
            start,
            end,
            created_at: published - Duration::days(30),
            published,
            by,
            team_count: 10,
            teams: 10,
            days: 20,
            scope: &scope,
            visits: &rows,
        };
        seed::insert_published_task(store, &task, CHUNK).await?;
    }
    Ok(())
}

/// 1,000 USCCs with published results, from every prefecture, and name queries as
/// the public types them: trade words every county shares, county names, township
/// names, and whole names (few rows match).
async fn write_lookups(
    store: &Store,
    all: &[DemoCounty],
    out: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let ids: Vec<String> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT entity_id FROM public_results WHERE id % 461 = 0 ORDER BY id LIMIT 1000").fetch_all(p).await)?;
    let names: Vec<String> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT entity_name FROM public_results WHERE id % 4999 = 0 ORDER BY id LIMIT 100").fetch_all(p).await)?;
    let mut lines: Vec<String> = [
        "农资",
        "兴旺",
        "鑫源",
        "便利店",
        "餐馆",
        "专业合作社",
        "有限公司",
        "美容美发",
        "汽车修理",
        "加油站",
        "网吧",
        "小吃",
        "药店",
        "五金",
    ]
    .iter()
    .map(|w| w.to_string())
    .collect();
    for c in all.iter().step_by(13) {
        lines.push(c.name.to_string());
        lines.push(c.townships[0].1.to_string());
    }
    lines.extend(names);
    seed::write_lookup_files(out, &ids, &lines)
}
