#!/usr/bin/env python3
# NOT RUN IN THIS REPOSITORY'S BUILD OR TESTS: needs internet (Hugging Face) and Python with torch
# 1.13.x, so that Debian 12's LibTorch 1.13 loads the files.
#
#   python3 -m venv ~/clip-export && . ~/clip-export/bin/activate
#   pip install torch==1.13.1 --index-url https://download.pytorch.org/whl/cpu
#   pip install "transformers==4.30.2" pillow
#   python3 tools/export/export_clip.py --model patrickjohncyh/fashion-clip --out models/fashion-clip
#   python3 tools/export/check_clip.py --model patrickjohncyh/fashion-clip --manifest models/fashion-clip/clip.json
#
# Writes image.pt (pixels [B,3,224,224], CLIP-normalised RGB -> embedding [B,512], the projected image
# features before normalisation), text.pt (tokens [B,77] int64, <|startoftext|> ... <|endoftext|>
# then zeros -> embedding [B,512]), vocab.json + merges.txt (the tokenizer files) and clip.json.
import argparse
import os
import shutil

import torch

from manifest import tensor, write_manifest


class ImageTower(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixels):
        return self.model.get_image_features(pixel_values=pixels)


class TextTower(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, tokens):
        # transformers 4.30 pools at argmax(tokens) = the first <|endoftext|> (the largest id), and the
        # causal mask makes the zeros after it irrelevant, so no attention mask is needed.
        return self.model.get_text_features(input_ids=tokens)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="patrickjohncyh/fashion-clip")
    p.add_argument("--out", required=True)
    p.add_argument("--version", default="1")
    args = p.parse_args()
    assert torch.__version__.startswith("1.13"), "export with torch 1.13.x so Debian's LibTorch 1.13 loads it"
    from transformers import CLIPModel, CLIPProcessor

    os.makedirs(args.out, exist_ok=True)
    model = CLIPModel.from_pretrained(args.model, torchscript=True).eval()
    processor = CLIPProcessor.from_pretrained(args.model)
    size = model.config.vision_config.image_size
    dim = model.config.projection_dim
    ctx = model.config.text_config.max_position_embeddings
    with torch.no_grad():
        image = torch.jit.trace(ImageTower(model), torch.zeros(2, 3, size, size))
        image.save(os.path.join(args.out, "image.pt"))
        tokens = torch.zeros(2, ctx, dtype=torch.long)
        tokens[:, 0] = 49406
        tokens[:, 1] = 49407
        text = torch.jit.trace(TextTower(model), tokens)
        text.save(os.path.join(args.out, "text.pt"))
    processor.tokenizer.save_pretrained(os.path.join(args.out, "tokenizer"))
    for f in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(args.out, "tokenizer", f), os.path.join(args.out, f))
    ip = processor.image_processor
    write_manifest(
        args.out, "clip.json", "clip", args.model.split("/")[-1], args.version, size, ip.image_mean, ip.image_std, dim,
        {
            "image": ("image.pt", [tensor("pixels", [-1, 3, size, size])], [tensor("embedding", [-1, dim])]),
            "text": ("text.pt", [tensor("tokens", [-1, ctx], "int64")], [tensor("embedding", [-1, dim])]),
        },
        tokenizer={"vocab": "vocab.json", "merges": "merges.txt", "context_length": ctx})


if __name__ == "__main__":
    main()
