"""Reading QR codes back in tests with a real decoder, the way the door scanner reads them.

The scanner asks for QR codes only (``BarcodeDetector({formats: ["qr_code"]})``). A reader looking
for every symbology finds a phantom ITF barcode in the module pattern of about one ticket in two
hundred, so tests restrict the format too.
"""

import io

import zxingcpp
from PIL import Image


def decode_qr(image: bytes | Image.Image) -> list[str]:
    if isinstance(image, bytes):
        image = Image.open(io.BytesIO(image))
    return [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
