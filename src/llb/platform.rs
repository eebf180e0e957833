//! Target platforms as `os/arch[/variant]`, the form buildx sends and BuildKit reports.

use std::fmt;

use bollard_buildkit_proto::pb;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch` or `os/arch/variant`. No normalisation (`x86_64` stays `x86_64`):
    /// buildx already normalises what it sends, and the engine reports normalised names.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let non_empty = parts.iter().all(|p| !p.is_empty());
        match parts.as_slice() {
            [os, arch] if non_empty => Ok(Self {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, variant] if non_empty => Ok(Self {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(variant.to_string()),
            }),
            _ => Err(format!(
                "invalid platform {text:?}: expected os/arch or os/arch/variant"
            )),
        }
    }

    pub fn from_pb(platform: &pb::Platform) -> Self {
        Self {
            os: platform.os.clone(),
            architecture: platform.architecture.clone(),
            variant: (!platform.variant.is_empty()).then(|| platform.variant.clone()),
        }
    }

    pub fn to_pb(&self) -> pb::Platform {
        pb::Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone().unwrap_or_default(),
            ..Default::default()
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_arch_and_variant_round_trip() {
        for text in ["linux/amd64", "linux/arm/v7", "linux/arm64/v8"] {
            let platform = Platform::parse(text).expect("valid platform");
            assert_eq!(platform.to_string(), text);
            assert_eq!(Platform::from_pb(&platform.to_pb()), platform);
        }
    }

    #[test]
    fn malformed_platforms_are_rejected() {
        for text in ["linux", "linux/", "/amd64", "a/b/c/d", ""] {
            assert!(
                Platform::parse(text).is_err(),
                "{text:?} should be rejected"
            );
        }
    }
}
