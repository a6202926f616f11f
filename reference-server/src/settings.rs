/*!
The Rocket.Chat settings the two endpoints' rules depend on, under their Rocket.Chat names.

They are command-line flags at start and, with test control on, can be changed at run time
(`PATCH /test-control/settings`), so a test can flip `Presence_broadcast_disabled` as Rocket.Chat's
presence service does on its own.
*/

use poem_openapi::Object;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(rename_all = "camelCase")]
pub struct Settings {
    /// When true, `users.presence` answers `{"users":[],"full":true,"success":true}` to every call.
    #[serde(rename = "Presence_broadcast_disabled")]
    #[oai(rename = "Presence_broadcast_disabled")]
    pub presence_broadcast_disabled: bool,
    /// The page size of `directory` when `count` is absent (Rocket.Chat default 50).
    #[serde(rename = "API_Default_Count")]
    #[oai(rename = "API_Default_Count")]
    pub api_default_count: i64,
    /// The largest page `directory` returns (Rocket.Chat default 100).
    #[serde(rename = "API_Upper_Count_Limit")]
    #[oai(rename = "API_Upper_Count_Limit")]
    pub api_upper_count_limit: i64,
    /// The user fields `directory` searches with `workspace=local`, comma-separated.
    #[serde(rename = "Accounts_SearchFields")]
    #[oai(rename = "Accounts_SearchFields")]
    pub accounts_search_fields: String,
    /// Federation on: `directory` with `workspace=all` includes federated users.
    #[serde(rename = "Federation_Enabled")]
    #[oai(rename = "Federation_Enabled")]
    pub federation_enabled: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            presence_broadcast_disabled: false,
            api_default_count: 50,
            api_upper_count_limit: 100,
            accounts_search_fields: "username, name, bio, nickname".to_owned(),
            federation_enabled: false,
        }
    }
}

/// A partial change of settings; absent fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Object)]
pub struct SettingsPatch {
    #[oai(rename = "Presence_broadcast_disabled")]
    pub presence_broadcast_disabled: Option<bool>,
    #[oai(rename = "API_Default_Count")]
    pub api_default_count: Option<i64>,
    #[oai(rename = "API_Upper_Count_Limit")]
    pub api_upper_count_limit: Option<i64>,
    #[oai(rename = "Accounts_SearchFields")]
    pub accounts_search_fields: Option<String>,
    #[oai(rename = "Federation_Enabled")]
    pub federation_enabled: Option<bool>,
}

impl Settings {
    pub fn apply(&mut self, patch: SettingsPatch) {
        if let Some(v) = patch.presence_broadcast_disabled {
            self.presence_broadcast_disabled = v;
        }
        if let Some(v) = patch.api_default_count {
            self.api_default_count = v;
        }
        if let Some(v) = patch.api_upper_count_limit {
            self.api_upper_count_limit = v;
        }
        if let Some(v) = patch.accounts_search_fields {
            self.accounts_search_fields = v;
        }
        if let Some(v) = patch.federation_enabled {
            self.federation_enabled = v;
        }
    }

    /// Sets one setting by its Rocket.Chat id, as `POST /api/v1/settings/:id` does.
    pub fn set_by_id(&mut self, id: &str, value: &serde_json::Value) -> Result<(), String> {
        let mut patch = SettingsPatch::default();
        let wrong = || format!("{id} does not take the value {value}");
        match id {
            "Presence_broadcast_disabled" => patch.presence_broadcast_disabled = Some(value.as_bool().ok_or_else(wrong)?),
            "API_Default_Count" => patch.api_default_count = Some(value.as_i64().ok_or_else(wrong)?),
            "API_Upper_Count_Limit" => patch.api_upper_count_limit = Some(value.as_i64().ok_or_else(wrong)?),
            "Accounts_SearchFields" => patch.accounts_search_fields = Some(value.as_str().ok_or_else(wrong)?.to_owned()),
            "Federation_Enabled" => patch.federation_enabled = Some(value.as_bool().ok_or_else(wrong)?),
            _ => {
                return Err(format!(
                    "The reference server has no setting {id:?}; it knows Presence_broadcast_disabled, \
                     API_Default_Count, API_Upper_Count_Limit, Accounts_SearchFields and Federation_Enabled"
                ))
            }
        }
        self.apply(patch);
        Ok(())
    }

    /// `Accounts_SearchFields` split on commas and trimmed, as Rocket.Chat reads it.
    pub fn search_fields(&self) -> impl Iterator<Item = &str> {
        self.accounts_search_fields
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_rocket_chat_defaults() {
        let s = Settings::default();
        assert_eq!(s.api_default_count, 50);
        assert_eq!(s.api_upper_count_limit, 100);
        assert_eq!(
            s.search_fields().collect::<Vec<_>>(),
            vec!["username", "name", "bio", "nickname"]
        );
        assert!(!s.presence_broadcast_disabled);
    }

    #[test]
    fn settings_are_set_by_rocket_chat_id_with_typed_values() {
        let mut s = Settings::default();
        s.set_by_id("API_Default_Count", &serde_json::json!(20))
            .unwrap();
        assert_eq!(s.api_default_count, 20);
        assert!(s
            .set_by_id("API_Default_Count", &serde_json::json!("20"))
            .is_err());
        assert!(s
            .set_by_id("Nope", &serde_json::json!(true))
            .unwrap_err()
            .contains("no setting"));
        s.set_by_id("Federation_Enabled", &serde_json::json!(true))
            .unwrap();
        assert!(s.federation_enabled);
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let mut s = Settings::default();
        s.apply(SettingsPatch {
            presence_broadcast_disabled: Some(true),
            ..Default::default()
        });
        assert!(s.presence_broadcast_disabled);
        assert_eq!(s.api_default_count, 50);
    }
}
