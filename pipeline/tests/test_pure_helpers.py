"""Pure helpers behind the Spark stages: keys, labels, the extension glob, k selection, axis signs, counts."""

import numpy as np
import pytest

from fruits_pipeline.errors import JobError
from fruits_pipeline.images import case_insensitive_glob
from fruits_pipeline.manifest import Counts
from fruits_pipeline.pca import PcaParams, choose_k, deterministic_signs
from fruits_pipeline.weights_npy import npy_files_for_layer


def test_extension_glob_accepts_any_case():
    assert case_insensitive_glob(("jpg", "png")) == "*.{[jJ][pP][gG],[pP][nN][gG]}"


def test_k_by_variance_is_the_smallest_reaching_the_threshold():
    ratios = [0.5, 0.3, 0.15, 0.05]
    assert choose_k(ratios, PcaParams(None, 0.8, False)) == (2, "variance")
    assert choose_k(ratios, PcaParams(None, 0.81, False)) == (3, "variance")
    assert choose_k(ratios, PcaParams(None, 1.0, False)) == (4, "variance")


def test_fixed_k_is_kept_and_bounded():
    assert choose_k([0.5, 0.5], PcaParams(1, None, False)) == (1, "fixed")
    with pytest.raises(JobError, match="exceeds"):
        choose_k([0.5, 0.5], PcaParams(3, None, False))


def test_axis_signs_are_deterministic():
    axes = np.array([[0.1, -0.9], [-0.8, 0.2], [0.3, 0.1]])
    fixed = deterministic_signs(axes)
    assert np.allclose(fixed, deterministic_signs(-axes))
    assert fixed[1, 0] > 0 and fixed[0, 1] > 0


def test_counts_must_add_up():
    assert Counts(10, 8, 2, 10).problems() == []
    assert "rows were lost" in Counts(10, 7, 2, 10).problems()[0]
    assert "exactly once per image" in Counts(10, 8, 2, 20).problems()[0]


def test_npy_mapping_follows_the_models_readme():
    assert npy_files_for_layer("Conv1", "Conv2D") == ["Conv_weights.npy"]
    assert npy_files_for_layer("bn_Conv1", "BatchNormalization")[0] == "Conv_BatchNorm_gamma.npy"
    assert npy_files_for_layer("expanded_conv_depthwise", "DepthwiseConv2D") == ["expanded_conv_depthwise_depthwise_weights.npy"]
    assert npy_files_for_layer("block_3_expand_BN", "BatchNormalization")[3] == "expanded_conv_3_expand_BatchNorm_moving_variance.npy"
    assert npy_files_for_layer("Conv_1_bn", "BatchNormalization")[1] == "Conv_1_BatchNorm_beta.npy"


def test_imagenet_offline_says_how_to_provide_weights(monkeypatch):
    import keras

    from fruits_pipeline.model import keras_imagenet_file

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: Name or service not known")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(JobError) as e:
        keras_imagenet_file(224)
    message = str(e.value)
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5" in message
    assert "fruits_pipeline.weights_npy" in message and "random:0" in message


def test_partial_moments_merge_to_numpy_covariance_in_any_split():
    """pca.moments' per-partition moments, merged pairwise, equal numpy's mean and covariance (no cancellation)."""
    import numpy as np

    from fruits_pipeline.pca import Moments, block_moments, merge_moments, scaled_covariance

    rng = np.random.default_rng(3)
    x = rng.normal(5.0, 2.0, size=(101, 7)) * np.arange(1, 8)  # offset mean: a raw second moment would cancel
    x[:, 3] = 4.0  # a constant feature: std 0
    for cuts in ([50], [1, 2, 3], [0, 100], [10, 10, 60]):
        parts = [block_moments(b) if len(b) else Moments(0, np.zeros(7), np.zeros((7, 7))) for b in np.split(x, cuts)]
        m = parts[0]
        for p in parts[1:]:
            m = merge_moments(m, p)
        assert m.n == 101
        assert np.allclose(m.mean, x.mean(axis=0), atol=1e-12)
        assert np.allclose(m.covariance(), np.cov(x, rowvar=False), atol=1e-10)
    corr = scaled_covariance(m, standardize=True)
    expected = np.corrcoef(np.delete(x, 3, axis=1), rowvar=False)
    assert np.allclose(np.delete(np.delete(corr, 3, 0), 3, 1), expected, atol=1e-12)
    assert np.all(corr[3] == 0) and np.all(corr[:, 3] == 0)  # Spark's scaler maps a zero-std feature to 0


def test_scan_packing_is_by_image_count():
    from fruits_pipeline.images import OPEN_COST_BYTES, count_packing_confs

    confs = count_packing_confs(files=3120, partitions=2)
    # 1560 files of any size under the slack fit one partition; a 1561st does not
    per_partition = int(confs["spark.sql.files.maxPartitionBytes"])
    assert 1559 * OPEN_COST_BYTES < per_partition < 1560 * OPEN_COST_BYTES
    assert int(confs["spark.sql.files.openCostInBytes"]) == OPEN_COST_BYTES
    assert confs["spark.sql.files.minPartitionNum"] == "1"
    assert count_packing_confs(files=3, partitions=10)["spark.sql.files.maxPartitionBytes"] == str(4 << 30)
