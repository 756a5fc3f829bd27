//! Whether an uploaded file's bytes are what its declared type says: the file signatures ("magic
//! numbers") of the types a schema may allow. The form declares name, type and size, the component
//! checks those against the schema; the host checks the bytes that arrive with this.

/// True when `bytes` start the way a file of type `mime` does. Types without a known signature (none a
/// schema may list today) are refused: nothing unverified is stored as what it claims to be.
pub fn content_matches(mime: &str, bytes: &[u8]) -> bool {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    let brand = || bytes.get(8..12);
    match mime {
        "image/jpeg" => at(0, &[0xFF, 0xD8, 0xFF]),
        "image/png" => at(0, b"\x89PNG\r\n\x1a\n"),
        "image/webp" => at(0, b"RIFF") && at(8, b"WEBP"),
        "image/heic" => {
            at(4, b"ftyp")
                && brand().is_some_and(|b| {
                    [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"].iter().any(|h| b == *h)
                })
        }
        "video/mp4" => at(4, b"ftyp"),
        "audio/mpeg" => at(0, b"ID3") || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0),
        "audio/amr" => at(0, b"#!AMR"),
        "application/pdf" => at(0, b"%PDF-"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::content_matches;

    #[test]
    fn each_type_by_its_signature() {
        assert!(content_matches("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        assert!(content_matches("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        assert!(content_matches("image/webp", b"RIFF\x24\0\0\0WEBPVP8 "));
        assert!(content_matches("image/heic", b"\0\0\0\x18ftypheic\0\0\0\0"));
        assert!(content_matches("video/mp4", b"\0\0\0\x20ftypisom\0\0\x02\0"));
        assert!(content_matches("audio/mpeg", b"ID3\x04\0\0"));
        assert!(content_matches("audio/mpeg", &[0xFF, 0xFB, 0x90, 0x64]));
        assert!(content_matches("audio/amr", b"#!AMR\n"));
        assert!(content_matches("application/pdf", b"%PDF-1.7\n"));
    }

    #[test]
    fn a_disguised_or_short_file_is_refused() {
        // A Windows program named photo.jpg, a script as a PDF, a PNG claimed as JPEG, nothing at all.
        assert!(!content_matches("image/jpeg", b"MZ\x90\0\x03\0"));
        assert!(!content_matches("application/pdf", b"<script>alert(1)</script>"));
        assert!(!content_matches("image/jpeg", b"\x89PNG\r\n\x1a\n"));
        assert!(!content_matches("image/png", b""));
        assert!(!content_matches("image/heic", b"\0\0\0\x18ftypisom"));
        assert!(!content_matches("image/webp", b"RIFF\x24\0\0\0WAVE"));
        assert!(!content_matches("application/x-msdownload", b"MZ"));
        assert!(!content_matches("text/html", b"<html>"));
    }
}
