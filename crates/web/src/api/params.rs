//! Query parameters, read leniently and checked strictly: every bad value is a
//! JSON 400 that names the parameter and what it takes.

use super::*;

/// The query string, read leniently (unknown parameters are ignored) and checked
/// here, so that every bad value gets a JSON 400 with a clear message.
pub(super) struct Params(HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let q: Result<Query<HashMap<String, String>>, QueryRejection> =
            Query::from_request_parts(parts, state).await;
        match q {
            Ok(Query(map)) => Ok(Params(map)),
            Err(_) => Err(ApiError::bad_request("查询参数格式不正确")),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Paging {
    pub(super) page: u32,
    pub(super) per_page: u32,
}

impl Params {
    /// The value as sent: the document states each parameter's exact form, and a
    /// value outside it is refused rather than guessed at.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// An integer parameter within `range`: digits only (a sign for negatives), no
    /// spaces or `+`.
    pub(super) fn integer<T: std::str::FromStr + PartialOrd>(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<Option<T>, String> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let digits = v.strip_prefix('-').unwrap_or(v);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(v.to_string());
        }
        match v.parse::<T>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(v.to_string()),
        }
    }

    pub(super) fn paging(&self) -> ApiResult<Paging> {
        let page = self
            .integer("page", 1..=MAX_PAGE)
            .map_err(|v| {
                ApiError::bad_request(format!(
                    "参数 page 须为 1 至 {MAX_PAGE} 之间的整数，收到「{v}」"
                ))
            })?
            .unwrap_or(1);
        let per_page = self
            .integer("per_page", 1..=MAX_PER_PAGE)
            .map_err(|v| {
                ApiError::bad_request(format!(
                    "参数 per_page 须为 1 至 {MAX_PER_PAGE} 之间的整数，收到「{v}」"
                ))
            })?
            .unwrap_or(DEFAULT_PER_PAGE);
        Ok(Paging { page, per_page })
    }

    /// The counties the `county` parameter selects, in code order: every county when
    /// it is absent, those whose code begins with its significant digits otherwise
    /// (none for a well-formed code the installation does not have).
    pub(super) async fn counties(&self, s: &AppState) -> ApiResult<Vec<Division>> {
        let prefix = match self.get("county") {
            None => None,
            Some(v) => {
                let shape = matches!(v.len(), 2 | 4 | 6) && v.bytes().all(|b| b.is_ascii_digit());
                if !shape {
                    return Err(ApiError::bad_request(format!(
                        "参数 county 须为 2、4 或 6 位行政区划代码（如 53、5323、532323），收到「{v}」"
                    )));
                }
                // 532300 is the prefecture 5323, 530000 the province 53.
                let mut p = v.to_string();
                while p.len() > 2 && p.ends_with("00") {
                    p.truncate(p.len() - 2);
                }
                Some(p)
            }
        };
        Ok(s.divisions()
            .await?
            .iter()
            .filter(|d| d.level() == Level::County)
            .filter(|d| {
                prefix
                    .as_ref()
                    .is_none_or(|p| d.code.as_str().starts_with(p.as_str()))
            })
            .cloned()
            .collect())
    }

    pub(super) fn date(&self, name: &str) -> ApiResult<Option<NaiveDate>> {
        match self.get(name) {
            None => Ok(None),
            // Exactly the RFC 3339 full-date the document states: chrono alone would
            // also take 2026-3-1.
            Some(v) => v
                .as_bytes()
                .iter()
                .enumerate()
                .all(|(i, b)| {
                    if i == 4 || i == 7 {
                        *b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                })
                .then_some(v)
                .filter(|v| v.len() == 10)
                .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
                .map(Some)
                .ok_or(())
                .map_err(|_| {
                    ApiError::bad_request(format!(
                        "参数 {name} 须为 YYYY-MM-DD 格式的有效日期（如 2026-03-01），收到「{v}」"
                    ))
                }),
        }
    }
}

/// Query parameters of every list endpoint (documentation only; [`Params`] reads them).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct PageParams {
    /// 页码，从 1 开始，默认 1，至多 1000000
    #[param(minimum = 1, maximum = 1_000_000)]
    pub(super) page: Option<u32>,
    /// 每页条数，1 至 1000，默认 100
    #[param(minimum = 1, maximum = 1000)]
    pub(super) per_page: Option<u32>,
}

/// The county filter of every list (documentation only; [`Params::counties`] reads it).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct CountyParams {
    /// 行政区划代码（GB/T 2260）：县（市、区）如 532323，州（市）如 5323 或 532300，省如 53 或 530000；
    /// 只列出该县或该州（市）、省所辖各县的条目。不填为全部。格式正确但本系统没有的代码返回空列表
    #[param(pattern = "^[0-9]{2}([0-9]{2}([0-9]{2})?)?$")]
    pub(super) county: Option<String>,
}

/// Query parameter of the item list (documentation only).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct OnParams {
    /// 查看某日公布的清单版本（北京时间当日结束时的状态），格式 YYYY-MM-DD（如 2026-03-01）；不填为现行清单
    #[param(format = Date, value_type = Option<String>)]
    pub(super) on: Option<String>,
}

pub(super) fn paginate<T>(all: Vec<T>, p: Paging) -> (Vec<T>, u64) {
    let total = all.len() as u64;
    let skip = (u64::from(p.page) - 1) * u64::from(p.per_page);
    let items = all
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(p.per_page as usize)
        .collect();
    (items, total)
}
