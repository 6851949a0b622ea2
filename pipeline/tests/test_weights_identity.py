"""The converted-model cache's weights identity (model_cache.weights_identity) and the one local copy of a weights
file a run makes (model.local_weights_file): pure, no Spark (local paths only), no TensorFlow."""

import hashlib

from fruits_pipeline.model import keras_imagenet_name, local_weights_file
from fruits_pipeline.model_cache import weights_identity


def test_random_weights_are_their_own_identity_and_need_no_file():
    assert local_weights_file(None, "random:7", "/nowhere") is None
    assert weights_identity("random:7", 224, None) == "random:7"


def test_a_weights_file_is_identified_by_its_bytes(tmp_path):
    f = tmp_path / "w.weights.h5"
    f.write_bytes(b"weights")
    local = local_weights_file(None, str(f), str(tmp_path / "tmp"))
    assert local == str(f)  # a local file is used where it is, not copied
    assert weights_identity(str(f), 224, local) == "sha256:" + hashlib.sha256(b"weights").hexdigest()


def test_imagenet_is_identified_by_keras_cached_file_when_there_and_unknown_otherwise(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert local_weights_file(None, "imagenet", str(tmp_path)) is None
    assert weights_identity("imagenet", 224, None) is None  # not cached: no identity, so nothing is cached
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / keras_imagenet_name(224)).write_bytes(b"official")
    assert weights_identity("imagenet", 224, None) == "sha256:" + hashlib.sha256(b"official").hexdigest()
    assert keras_imagenet_name(200) == keras_imagenet_name(224)  # sizes Keras does not publish use the 224 file
