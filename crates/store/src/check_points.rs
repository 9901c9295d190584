//! Items' check points (检查要点), kept per item and read for a task's items.

use liancha_domain::InspectionMethod;
use liancha_domain::check_points::CheckPoint;
use liancha_domain::text::{FREE_TEXT, LABEL, NAME, bounded_text};
use liancha_domain::workflow::ResultCategory;

use crate::BeginWrite;
use crate::{County, Result, StoreError, with_pool};

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

const COLUMNS: &str =
    "item_code, code, content, method, clause, pass_text, fail_text, fail_category";

fn point(r: Row) -> Result<CheckPoint> {
    let (item, code, content, method, clause, pass_text, fail_text, fail_category) = r;
    Ok(CheckPoint {
        method: InspectionMethod::from_code(&method)
            .ok_or_else(|| StoreError::corrupt(format!("check point method {method}")))?,
        fail_category: ResultCategory::from_code(&fail_category)
            .ok_or_else(|| StoreError::corrupt(format!("check point category {fail_category}")))?,
        item,
        code,
        content,
        clause,
        pass_text,
        fail_text,
    })
}

/// The rules a point must keep, whoever writes it.
/// Points an item may carry: a phone form of a joint visit asks all of them.
pub const MAX_POINTS_PER_ITEM: usize = 200;

fn check(item: &str, points: &[CheckPoint]) -> Result<()> {
    if points.len() > MAX_POINTS_PER_ITEM {
        return Err(StoreError::invalid(format!(
            "事项「{item}」有 {} 个检查要点，每个事项至多 {MAX_POINTS_PER_ITEM} 个",
            points.len()
        )));
    }
    let mut codes = std::collections::BTreeSet::new();
    for (i, p) in points.iter().enumerate() {
        let at =
            |m: String| StoreError::invalid(format!("事项「{item}」第 {} 个检查要点：{m}", i + 1));
        if p.item != item {
            return Err(at(format!("属于事项「{}」", p.item)));
        }
        if p.code.trim().is_empty() || p.content.trim().is_empty() || p.fail_text.trim().is_empty()
        {
            return Err(at("要点编码、检查内容和不符合表述不能为空".into()));
        }
        for (v, rule) in [
            (&p.code, LABEL),
            (&p.content, FREE_TEXT),
            (&p.clause, NAME),
            (&p.pass_text, FREE_TEXT),
            (&p.fail_text, FREE_TEXT),
        ] {
            bounded_text(v, rule).map_err(|e| at(e.to_string()))?;
        }
        if !p.fail_category.is_problem() {
            return Err(at(format!(
                "不符合时的检查结果不能是「{}」",
                p.fail_category.label()
            )));
        }
        if !codes.insert(p.code.as_str()) {
            return Err(at(format!("要点编码「{}」重复", p.code)));
        }
    }
    Ok(())
}

impl County<'_> {
    /// Replaces an item's check points, in one transaction.
    pub async fn put_check_points(&self, item: &str, points: &[CheckPoint]) -> Result<()> {
        self.replace_check_points(&[(item.to_string(), points.to_vec())])
            .await
    }

    /// Replaces the check points of each item given, all in one transaction: an
    /// import file's items, every one or none.
    pub async fn replace_check_points(&self, items: &[(String, Vec<CheckPoint>)]) -> Result<()> {
        self.check_replacement(items).await?;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for (item, points) in items {
                self.query("DELETE FROM check_points WHERE county = $C AND item_code = $1")
                    .bind(item).execute(&mut *tx).await?;
                for (pos, pt) in points.iter().enumerate() {
                    self.query(&format!(
                        "INSERT INTO check_points (county, position, {COLUMNS}) \
                         VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9)"))
                        .bind(pos as i32).bind(&pt.item).bind(&pt.code).bind(&pt.content)
                        .bind(pt.method.code()).bind(&pt.clause).bind(&pt.pass_text)
                        .bind(&pt.fail_text).bind(pt.fail_category.code())
                        .execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Refuses a replacement of the items' points for what the import refuses,
    /// without writing: the preview says so before the clerk confirms.
    pub async fn check_replacement(&self, items: &[(String, Vec<CheckPoint>)]) -> Result<()> {
        for (item, points) in items {
            check(item, points)?;
            if self.item(item).await?.is_none() {
                return Err(StoreError::invalid(format!("抽查事项「{item}」不存在")));
            }
        }
        // A code shared by several items is one question on a joint visit: it must
        // read and be checked alike wherever it appears (each item keeps its clause).
        let replaced: Vec<&String> = items.iter().map(|(i, _)| i).collect();
        let mut by_code: std::collections::BTreeMap<&str, &CheckPoint> = Default::default();
        let others = self.all_check_points().await?;
        let all = others
            .iter()
            .filter(|p| !replaced.contains(&&p.item))
            .chain(items.iter().flat_map(|(_, ps)| ps));
        for p in all {
            match by_code.get(p.code.as_str()) {
                Some(q) if q.content != p.content || q.method != p.method => {
                    return Err(StoreError::invalid(format!(
                        "要点编码「{}」在事项「{}」中是“{}”（{}），在事项「{}」中是“{}”（{}）：\
                         编码相同的要点在联合检查中只问一次，检查内容和检查方法须一致；不是同一要点请换一个编码",
                        p.code,
                        q.item,
                        q.content,
                        q.method.label(),
                        p.item,
                        p.content,
                        p.method.label()
                    )));
                }
                Some(_) => {}
                None => {
                    by_code.insert(&p.code, p);
                }
            }
        }
        Ok(())
    }

    /// Every item's check points, items by code.
    pub async fn all_check_points(&self) -> Result<Vec<CheckPoint>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM check_points WHERE county = $C ORDER BY item_code, position"
        );
        let rows: Vec<Row> = with_pool!(self, p => self.query_as(&sql).fetch_all(p).await)?;
        rows.into_iter().map(point).collect()
    }

    /// The check points of `items`, each item's in its order (items in the order
    /// given).
    pub async fn check_points(&self, items: &[String]) -> Result<Vec<CheckPoint>> {
        // Each item once (a file names its item on every row), in first order.
        let mut order: std::collections::BTreeMap<&str, usize> = Default::default();
        let mut unique: Vec<&str> = Vec::new();
        for i in items {
            if !order.contains_key(i.as_str()) {
                order.insert(i, unique.len());
                unique.push(i);
            }
        }
        let mut points = Vec::new();
        // In batches: a statement's parameters are bounded on both engines.
        for chunk in unique.chunks(500) {
            let ph: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {COLUMNS} FROM check_points WHERE county = $C AND item_code IN ({}) \
                 ORDER BY item_code, position",
                ph.join(", ")
            );
            let rows: Vec<Row> = with_pool!(self, p => {
                let mut q = self.query_as(&sql);
                for i in chunk { q = q.bind(*i); }
                q.fetch_all(p).await
            })?;
            for r in rows {
                points.push(point(r)?);
            }
        }
        points.sort_by_key(|p| order.get(p.item.as_str()).copied());
        Ok(points)
    }
}
