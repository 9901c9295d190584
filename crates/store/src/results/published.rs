use super::*;

/// An entity on a credit list, as the public list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedEntity {
    pub id: String,
    pub name: String,
    pub township: String,
    /// 列入日期: when its standing listing was confirmed.
    pub listed_on: Option<NaiveDate>,
}

/// One published result: what the public may see (categories and methods; never
/// findings, which may hold internal notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedResult {
    /// The county that published it.
    pub county: String,
    pub task_id: i64,
    pub task_title: String,
    pub published_at: Option<DateTime<Utc>>,
    pub entity_id: String,
    pub entity_name: String,
    pub item_code: String,
    pub item_name: String,
    pub department: String,
    pub inspected_on: Option<NaiveDate>,
    pub categories: Vec<ResultCategory>,
    pub methods: Vec<InspectionMethod>,
    /// The newest correction of this item's result, shown beside it.
    pub correction: Option<super::repair::Correction>,
}

type PublishedRow = (
    String,
    i64,
    String,
    Option<DateTime<Utc>>,
    String,
    Option<String>,
    String,
    String,
    String,
    Option<NaiveDate>,
    String,
    String,
);

const PUBLISHED_SELECT: &str = "SELECT r.county, t.id, t.title, t.published_at, r.entity_id, e.name, r.item_code, i.name, i.department, \
     v.inspected_on, r.categories, r.methods FROM results r \
     JOIN tasks t ON t.county = r.county AND t.id = r.task_id \
     JOIN visits v ON v.county = r.county AND v.task_id = r.task_id AND v.entity_id = r.entity_id \
     JOIN items i ON i.county = r.county AND i.code = r.item_code \
     LEFT JOIN entities e ON e.county = r.county AND e.id = r.entity_id \
     WHERE t.state = 'published' AND v.state = 'published'";

fn published(rows: Vec<PublishedRow>) -> Vec<PublishedResult> {
    rows.into_iter()
        .map(
            |(
                county,
                task_id,
                task_title,
                published_at,
                entity_id,
                name,
                item_code,
                item_name,
                department,
                inspected_on,
                categories,
                methods,
            )| PublishedResult {
                entity_name: name.unwrap_or_else(|| entity_id.clone()),
                categories: split_codes(&categories, ResultCategory::from_code),
                methods: split_codes(&methods, InspectionMethod::from_code),
                county,
                task_id,
                task_title,
                published_at,
                entity_id,
                item_code,
                item_name,
                department,
                inspected_on,
                correction: None,
            },
        )
        .collect()
}

impl County<'_> {
    /// Published results of one task, in draw order.
    pub async fn published_results_of_task(&self, task_id: i64) -> Result<Vec<PublishedResult>> {
        let sql = format!(
            "{PUBLISHED_SELECT} AND r.county = $C AND t.id = $1 ORDER BY v.draw_order, r.item_code"
        );
        let rows: Vec<PublishedRow> =
            with_pool!(self, p => self.query_as(&sql).bind(task_id).fetch_all(p).await)?;
        let mut results = published(rows);
        super::repair::attach_corrections(&mut results, self.corrections_of_task(task_id).await?);
        Ok(results)
    }

    /// Entities on a credit list as recorded, with the day their standing listing
    /// was confirmed (none for a flag that came with an imported directory).
    pub async fn listed_entities(&self, list: CreditList) -> Result<Vec<ListedEntity>> {
        let column = match list {
            CreditList::Abnormal => "abnormal",
            CreditList::Blacklist => "blacklisted",
        };
        let sql = format!(
            "SELECT id, name, township FROM entities WHERE county = $C AND {column} ORDER BY id"
        );
        let rows: Vec<(String, String, String)> =
            with_pool!(self, p => self.query_as(&sql).fetch_all(p).await)?;
        let mut since: BTreeMap<String, NaiveDate> = BTreeMap::new();
        for l in self.listings(list, false).await? {
            if let Some(at) = l.listed_at {
                let day = china_date(at);
                let e = since.entry(l.entity_id).or_insert(day);
                // Listed since the earliest listing still standing.
                *e = (*e).min(day);
            }
        }
        Ok(rows
            .into_iter()
            .map(|(id, name, township)| ListedEntity {
                listed_on: since.get(&id).copied(),
                id,
                name,
                township,
            })
            .collect())
    }
}

impl Store {
    /// Every published result about one entity in any county (an entity that moved
    /// keeps the record of each), newest task first: public, so read across counties.
    pub async fn published_results_of_entity(
        &self,
        entity_id: &str,
    ) -> Result<Vec<PublishedResult>> {
        let sql = format!(
            "{PUBLISHED_SELECT} AND r.entity_id = $1 ORDER BY t.published_at DESC, t.id DESC, r.item_code"
        );
        let rows: Vec<PublishedRow> = with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql)).bind(entity_id).fetch_all(p).await)?;
        let mut results = published(rows);
        // Corrections are matched by task id, which is unique across counties.
        super::repair::attach_corrections(
            &mut results,
            self.corrections_of_entity(entity_id).await?,
        );
        Ok(results)
    }
}
