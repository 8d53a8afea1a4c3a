"""The model zoo: one file a family. `create(name, **options)` builds one by name."""

from collections.abc import Callable
from typing import Any

from .. import nn
from .alexnet import alexnet
from .autoencoder import Autoencoder, ConvAutoencoder, GaussianNoise, MaskSquare  # (generative)
from .bert import (
    BERT,
    BertConfig,
    BertForPreTraining,
    BertForSequenceClassification,
    bert_base,
    bert_large,
    bert_mini,
    bert_tiny,
    from_huggingface_bert,
    huggingface_bert_state_dict,
)  # (language)
from .gan import (
    ConditionalDiscriminator,
    ConditionalGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    GAN,
    GANTrainer,
    generate,
)
from .googlenet import googlenet
from .gpt import GPT, GPTConfig, from_huggingface_gpt2, gpt2_small  # (language models: not in the image table)
from .lenet import lenet5, mnist_cnn
from .mlp import mlp
from .resnet import resnet18, resnet34, resnet50
from .rnn import CharRNN, SequenceClassifier  # (sequence models: not in the image table)
from .seq2seq import BahdanauAttention, Decoder, Encoder, LuongAttention, Seq2Seq  # (not image models)
from .transformer_seq2seq import TransformerSeq2Seq  # (not an image model)
from .vae import VAE, ConvVAE, VAETrainer, vae_loss  # (generative)
from .vgg import vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn
from .vit import ViT, vit

MODELS: dict[str, Callable[..., nn.Module]] = {
    "mlp": mlp,
    "lenet5": lenet5,
    "mnist_cnn": mnist_cnn,
    "alexnet": alexnet,
    "vgg11": vgg11,
    "vgg13": vgg13,
    "vgg16": vgg16,
    "vgg19": vgg19,
    "vgg11_bn": vgg11_bn,
    "vgg13_bn": vgg13_bn,
    "vgg16_bn": vgg16_bn,
    "vgg19_bn": vgg19_bn,
    "resnet18": resnet18,
    "resnet34": resnet34,
    "resnet50": resnet50,
    "googlenet": googlenet,
    "vit": vit,
}


def create(name: str, **options: Any) -> nn.Module:
    """Build the zoo model `name` (see MODELS) with its options, e.g. create("mlp", num_classes=24)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(sorted(MODELS))}")
    return MODELS[name](**options)
