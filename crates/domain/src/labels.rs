//! Enumerations whose values clerks write in Chinese. Each has one stable ASCII code
//! (stored in the database and used in the API) and one Chinese label (pages, files).

/// Declares an enum with its stored code and its Chinese label; `parse` accepts either,
/// plus extra aliases clerks are known to write.
#[macro_export]
macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $variant:ident = ($code:literal, $label:literal $(, $alias:literal)* ) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $( $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The code kept in storage and APIs.
            pub fn code(self) -> &'static str {
                match self { $( $name::$variant => $code ),+ }
            }

            /// The Chinese label shown to people.
            pub fn label(self) -> &'static str {
                match self { $( $name::$variant => $label ),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $( $code => Some($name::$variant), )+ _ => None }
            }

            /// Accepts the code, the label or a known alias.
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                match s {
                    $( $code | $label $(| $alias)* => Some($name::$variant), )+
                    _ => None,
                }
            }

            /// The labels, for error messages and drop-down lists.
            pub fn labels() -> Vec<&'static str> {
                vec![ $( $label ),+ ]
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
    };
}

labelled_enum! {
    /// 抽查类别 of an item: real lists split 重点检查事项 (inspected at higher ratios,
    /// every year) from 一般检查事项.
    pub enum ItemCategory {
        Key = ("key", "重点", "重点检查事项", "重点事项", "重点抽查事项"),
        General = ("general", "一般", "一般检查事项", "一般事项", "一般抽查事项"),
    }
}

// `labelled_enum!` takes no attributes on variants, so no `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for ItemCategory {
    fn default() -> Self {
        ItemCategory::General
    }
}

labelled_enum! {
    /// The seed's five fields of joint supervision (领域).
    pub enum Domain {
        Market = ("market", "市场监管", "市场监管领域"),
        Ecology = ("ecology", "生态环境保护", "生态环境", "生态环境保护领域"),
        Culture = ("culture", "文化市场", "文化市场领域"),
        Transport = ("transport", "交通运输", "交通运输领域"),
        Agriculture = ("agriculture", "农业", "农业领域"),
    }
}

labelled_enum! {
    /// 市场主体类型.
    pub enum EntityType {
        Enterprise = ("enterprise", "企业", "公司", "企业法人"),
        IndividualBusiness = ("individual", "个体工商户", "个体户", "个体"),
        Cooperative = ("cooperative", "农民专业合作社", "合作社", "农民专业合作社（联合社）"),
        Other = ("other", "其他", "其它"),
    }
}

labelled_enum! {
    /// 登记状态.
    pub enum EntityStatus {
        Active = ("active", "存续", "在业", "开业"),
        Deregistered = ("deregistered", "注销", "已注销"),
        Revoked = ("revoked", "吊销", "已吊销", "吊销未注销"),
        MovedOut = ("moved-out", "迁出", "已迁出"),
    }
}

labelled_enum! {
    /// 信用风险分类: A is lowest risk, D highest.
    pub enum RiskClass {
        A = ("A", "A类", "a", "A级", "低风险"),
        B = ("B", "B类", "b", "B级", "一般风险"),
        C = ("C", "C类", "c", "C级", "较高风险"),
        D = ("D", "D类", "d", "D级", "高风险"),
    }
}

labelled_enum! {
    /// 执法人员状态.
    pub enum InspectorStatus {
        OnDuty = ("on-duty", "在岗"),
        OnLeave = ("on-leave", "休假", "请假"),
        Seconded = ("seconded", "借调"),
        Departed = ("departed", "离岗", "调离", "退休"),
    }
}

labelled_enum! {
    /// 检查方式.
    pub enum InspectionMethod {
        OnSite = ("on-site", "实地检查", "现场检查"),
        Documentary = ("documentary", "书面检查", "书面审查"),
        OnlineMonitoring = ("online", "网络监测", "网络检查"),
        Testing = ("testing", "检验检测", "抽样检测"),
        ThirdParty = ("third-party", "委托专业机构", "委托第三方", "专业机构核查"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_code_label_alias() {
        assert_eq!(
            EntityType::parse("个体户"),
            Some(EntityType::IndividualBusiness)
        );
        assert_eq!(
            EntityType::parse("enterprise"),
            Some(EntityType::Enterprise)
        );
        assert_eq!(RiskClass::parse(" C类 "), Some(RiskClass::C));
        assert_eq!(Domain::parse("未知"), None);
    }

    #[test]
    fn codes_round_trip() {
        for d in Domain::ALL {
            assert_eq!(Domain::from_code(d.code()), Some(*d));
        }
        for s in EntityStatus::ALL {
            assert_eq!(EntityStatus::from_code(s.code()), Some(*s));
        }
    }
}
