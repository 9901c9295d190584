//! Attachments: photos and PDFs of an inspection, photos and video of a draw
//! ceremony. The type is decided from the file's own bytes, never from its name or
//! the browser's word alone, and the size is capped per purpose.

use crate::labelled_enum;

labelled_enum! {
    pub enum AttachmentPurpose {
        Result = ("result", "检查取证材料"),
        Ceremony = ("ceremony", "抽取现场影像"),
        SourceDocument = ("source-document", "来源文书"),
    }
}

/// 10 MB for inspection material and documents, 100 MB for ceremony video.
pub fn max_size(purpose: AttachmentPurpose) -> usize {
    match purpose {
        AttachmentPurpose::Ceremony => 100 * 1024 * 1024,
        _ => 10 * 1024 * 1024,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("文件为空")]
    Empty,
    #[error("文件过大：{size} 字节，{what}最大 {max} MB")]
    TooLarge {
        size: usize,
        max: usize,
        what: &'static str,
    },
    #[error("不支持的文件类型：{what}只接受 {accepted}")]
    Type {
        what: &'static str,
        accepted: &'static str,
    },
}

/// The content type of `bytes`, if it is one this purpose accepts.
pub fn check(purpose: AttachmentPurpose, bytes: &[u8]) -> Result<&'static str, AttachmentError> {
    if bytes.is_empty() {
        return Err(AttachmentError::Empty);
    }
    let max = max_size(purpose);
    if bytes.len() > max {
        return Err(AttachmentError::TooLarge {
            size: bytes.len(),
            max: max / (1024 * 1024),
            what: purpose.label(),
        });
    }
    let sniffed = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.len() > 12 && &bytes[4..8] == b"ftyp" {
        Some("video/mp4")
    } else {
        None
    };
    let (accepted, label) = match purpose {
        AttachmentPurpose::Ceremony => (
            &["image/jpeg", "image/png", "video/mp4"][..],
            "JPEG、PNG 照片或 MP4 视频",
        ),
        _ => (
            &["image/jpeg", "image/png", "application/pdf"][..],
            "JPEG、PNG 照片或 PDF 文件",
        ),
    };
    match sniffed {
        Some(t) if accepted.contains(&t) => Ok(t),
        _ => Err(AttachmentError::Type {
            what: purpose.label(),
            accepted: label,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_from_bytes_and_size_per_purpose() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
        assert_eq!(check(AttachmentPurpose::Result, &jpeg), Ok("image/jpeg"));
        assert_eq!(
            check(AttachmentPurpose::Result, b"%PDF-1.7\n"),
            Ok("application/pdf")
        );
        assert!(matches!(
            check(AttachmentPurpose::Result, b"MZ\x90\x00"),
            Err(AttachmentError::Type { .. })
        ));
        assert!(matches!(
            check(AttachmentPurpose::Result, b""),
            Err(AttachmentError::Empty)
        ));
        let mp4 = b"\0\0\0\x20ftypisom\0\0\0\0";
        assert!(check(AttachmentPurpose::Result, mp4).is_err());
        assert_eq!(check(AttachmentPurpose::Ceremony, mp4), Ok("video/mp4"));
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(max_size(AttachmentPurpose::Result) + 1, 0);
        assert!(matches!(
            check(AttachmentPurpose::Result, &big),
            Err(AttachmentError::TooLarge { .. })
        ));
        assert!(check(AttachmentPurpose::Ceremony, &big).is_ok());
    }
}
