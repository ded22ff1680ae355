"""What a file attached to a chat message may be: shared by the gateway, which stores the upload,
and the chat service, which records it. Media types are sniffed from the bytes, never taken from
a name or a header; each maps to the extension the file is served with."""

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
ATTACHMENT_TYPES = {
    **IMAGE_TYPES,
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/rtf": "rtf",
}
