//! Uploaded documents (bill copy, CSR): recognised by their content, never by their name.

use super::Refusal;

/// Every code [`check_upload`] can return.
pub const REFUSAL_CODES: &[&str] = &["upload.empty", "upload.too_large", "upload.unsupported"];

/// The kinds of document we accept: a PDF, or a screenshot or photo of the bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    Pdf,
    Png,
    Jpeg,
}

impl ContentType {
    pub fn mime(self) -> &'static str {
        match self {
            ContentType::Pdf => "application/pdf",
            ContentType::Png => "image/png",
            ContentType::Jpeg => "image/jpeg",
        }
    }

    /// Without the dot: `pdf`, `png`, `jpg`.
    pub fn extension(self) -> &'static str {
        match self {
            ContentType::Pdf => "pdf",
            ContentType::Png => "png",
            ContentType::Jpeg => "jpg",
        }
    }
}

/// Accepts a document of at most `max_bytes` whose content is a PDF, PNG or JPEG, whatever the
/// file was called. `size` is the whole file's size: an adapter need not read (or download) more
/// than `max_bytes + 1` of a larger file to have it refused.
pub fn check_upload(bytes: &[u8], size: usize, max_bytes: usize) -> Result<ContentType, Refusal> {
    let size = size.max(bytes.len());
    if size == 0 {
        return Err(Refusal::new("upload.empty"));
    }
    if size > max_bytes {
        return Err(Refusal::new("upload.too_large")
            .with("size", human_size(size))
            .with("limit", human_size(max_bytes)));
    }
    let kind = infer::get(bytes);
    match kind.map(|k| k.mime_type()) {
        Some("application/pdf") => Ok(ContentType::Pdf),
        Some("image/png") => Ok(ContentType::Png),
        Some("image/jpeg") => Ok(ContentType::Jpeg),
        _ => Err(Refusal::new("upload.unsupported").with("detected", describe(kind))),
    }
}

/// What a refused file looks like, in words the wording can use after "it looks like".
fn describe(kind: Option<infer::Type>) -> String {
    let Some(kind) = kind else {
        return "unknown".to_string();
    };
    let known = match kind.mime_type() {
        "application/zip" => "a ZIP archive",
        "application/gzip"
        | "application/x-7z-compressed"
        | "application/vnd.rar"
        | "application/x-tar" => "a compressed archive",
        "image/heif" | "image/heic" => "an HEIC photo",
        "image/gif" => "a GIF image",
        "image/webp" => "a WebP image",
        "image/tiff" => "a TIFF image",
        "image/bmp" => "a BMP image",
        "image/avif" => "an AVIF image",
        "application/msword"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
            "a Word document"
        }
        "application/vnd.ms-excel"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
            "an Excel spreadsheet"
        }
        "application/rtf" => "an RTF document",
        "application/x-executable"
        | "application/vnd.microsoft.portable-executable"
        | "application/x-mach-binary" => "a program",
        _ => "",
    };
    if known.is_empty() {
        format!("a {} file", kind.extension().to_uppercase())
    } else {
        known.to_string()
    }
}

/// `512 bytes`, `12.4 KB`, `12.4 MB`, `10 MB`: binary units (a "10 MB" limit is 10 × 1024 × 1024
/// bytes, as the chat platforms count), one decimal, none when it is whole.
fn human_size(bytes: usize) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    let (value, unit) = if b >= KB * KB * KB {
        (b / (KB * KB * KB), "GB")
    } else if b >= KB * KB {
        (b / (KB * KB), "MB")
    } else if b >= KB {
        (b / KB, "KB")
    } else {
        return if bytes == 1 {
            "1 byte".to_string()
        } else {
            format!("{bytes} bytes")
        };
    };
    let shown = format!("{value:.1}");
    let shown = shown.strip_suffix(".0").unwrap_or(&shown);
    format!("{shown} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 10 * 1024 * 1024;
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";

    fn refused(bytes: &[u8], limit: usize) -> Refusal {
        let r = check_upload(bytes, bytes.len(), limit).unwrap_err();
        assert!(REFUSAL_CODES.contains(&r.code), "{}", r.code);
        r
    }

    #[test]
    fn pdf_png_and_jpeg_are_recognised_by_content() {
        assert_eq!(check_upload(PDF, PDF.len(), LIMIT), Ok(ContentType::Pdf));
        assert_eq!(check_upload(PNG, PNG.len(), LIMIT), Ok(ContentType::Png));
        assert_eq!(check_upload(JPEG, JPEG.len(), LIMIT), Ok(ContentType::Jpeg));
    }

    #[test]
    fn content_types_name_their_mime_type_and_extension() {
        assert_eq!(ContentType::Pdf.mime(), "application/pdf");
        assert_eq!(ContentType::Png.extension(), "png");
        assert_eq!(ContentType::Jpeg.mime(), "image/jpeg");
        assert_eq!(ContentType::Jpeg.extension(), "jpg");
    }

    #[test]
    fn an_empty_file_is_refused() {
        assert_eq!(refused(b"", LIMIT).code, "upload.empty");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_with_readable_sizes() {
        let big = vec![0u8; 13_002_342];
        let r = refused(&big, LIMIT);
        assert_eq!(r.code, "upload.too_large");
        assert_eq!(r.arg("size"), Some("12.4 MB"));
        assert_eq!(r.arg("limit"), Some("10 MB"));
    }

    #[test]
    fn a_file_exactly_at_the_limit_is_accepted() {
        assert_eq!(
            check_upload(PDF, PDF.len(), PDF.len()),
            Ok(ContentType::Pdf)
        );
    }

    #[test]
    fn a_file_read_only_in_part_is_judged_by_its_whole_size() {
        let r = check_upload(PDF, 13_002_342, LIMIT).unwrap_err();
        assert_eq!(r.code, "upload.too_large");
        assert_eq!(r.arg("size"), Some("12.4 MB"));
    }

    #[test]
    fn a_zip_archive_is_unsupported_and_described() {
        let r = refused(b"PK\x03\x04\x14\0\0\0\x08\0", LIMIT);
        assert_eq!(r.code, "upload.unsupported");
        assert_eq!(r.arg("detected"), Some("a ZIP archive"));
    }

    #[test]
    fn a_gif_is_unsupported_and_described() {
        let r = refused(b"GIF89a\x01\0\x01\0\0\0\0", LIMIT);
        assert_eq!(r.arg("detected"), Some("a GIF image"));
    }

    #[test]
    fn a_text_file_renamed_to_pdf_is_still_unsupported() {
        let r = refused(b"this is not a pdf, just text", LIMIT);
        assert_eq!(r.code, "upload.unsupported");
        assert_eq!(r.arg("detected"), Some("unknown"));
    }

    #[test]
    fn sizes_are_human_readable() {
        assert_eq!(human_size(1), "1 byte");
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(10 * 1024 * 1024), "10 MB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3 GB");
    }
}
