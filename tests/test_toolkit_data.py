"""What the models are fed (hw1.toolkit.data): MNIST scaled to exactly [-1, 1], pixel for pixel as in the
original IDX file. The expected values are written out here, not computed with the product's scaling."""

import pytest
import torch

from hw1.toolkit.data import raw_dir, to_model_input

# Test image 0 (a 7), as stored in t10k-images-idx3-ubyte: row 7 starts its top stroke with 84, row 12
# holds a saturated 255, the corner is background.
KNOWN_PIXELS = {(7, 6): 84, (7, 7): 185, (12, 19): 255, (0, 0): 0}


def _idx_pixel(raw: bytes, image: int, row: int, column: int) -> int:
    """One pixel read from an IDX image file's bytes: a 16-byte header, then 28 x 28 bytes per image."""
    return raw[16 + image * 28 * 28 + row * 28 + column]


def test_the_test_set_spans_exactly_minus_one_to_one(mnist):
    x = to_model_input(mnist.test_images)
    assert x.shape == (10_000, 1, 28, 28) and x.dtype == torch.float32
    assert float(x.min()) == -1.0  # background pixel 0 -> -1 (not 0, as with a [0, 1] scaling)
    assert float(x.max()) == 1.0  # ink pixel 255 -> +1


def test_known_pixels_of_test_image_0_from_the_idx_file(mnist, data_dir):
    raw = (raw_dir(data_dir) / "t10k-images-idx3-ubyte").read_bytes()
    assert raw[:16] == bytes.fromhex("00000803" "00002710" "0000001c" "0000001c")  # magic 2051, 10,000 of 28 x 28
    for (row, column), value in KNOWN_PIXELS.items():
        assert _idx_pixel(raw, 0, row, column) == value  # the constants above are the file's
        assert int(mnist.test_images[0, row, column]) == value  # the loader keeps the raw byte
    x = to_model_input(mnist.test_images[:1])
    assert float(x[0, 0, 7, 6]) == pytest.approx(-0.34117647, abs=1e-6)  # 84 / 127.5 - 1 = -87 / 255
    assert float(x[0, 0, 7, 7]) == pytest.approx(0.45098039, abs=1e-6)  # 185 / 127.5 - 1 = 115 / 255
    assert float(x[0, 0, 12, 19]) == 1.0
    assert float(x[0, 0, 0, 0]) == -1.0
    # Every pixel of the image: 2 * byte / 255 - 1.
    expected = torch.tensor(list(raw[16:16 + 784]), dtype=torch.float64).reshape(28, 28) * 2 / 255 - 1
    torch.testing.assert_close(x[0, 0].double(), expected, atol=1e-6, rtol=0)


def test_the_loader_keeps_the_file_order_of_images_and_labels(mnist, data_dir):
    images = (raw_dir(data_dir) / "t10k-images-idx3-ubyte").read_bytes()
    labels = (raw_dir(data_dir) / "t10k-labels-idx1-ubyte").read_bytes()
    assert labels[8:11] == bytes([7, 2, 1])  # the first three test digits
    for index in (0, 1, 9_999):
        assert int(mnist.test_labels[index]) == labels[8 + index]
        assert bytes(mnist.test_images[index].flatten().tolist()) == images[16 + index * 784:16 + (index + 1) * 784]
