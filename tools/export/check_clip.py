#!/usr/bin/env python3
# NOT RUN IN THIS REPOSITORY'S BUILD OR TESTS (needs the export environment of export_clip.py).
# Checks exported CLIP towers against the Hugging Face reference:
#   python3 tools/export/check_clip.py --model patrickjohncyh/fashion-clip \
#       --manifest models/fashion-clip/clip.json --image some_product.jpg --text "a red dress"
# Prints the cosine between TorchScript and reference vectors (expect > 0.9999), and writes
# reference.json (the reference's normalised vectors) to compare with what Ensemble computes.
import argparse
import json
import os

import torch
from PIL import Image

from manifest import sha256_of


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="patrickjohncyh/fashion-clip")
    p.add_argument("--manifest", required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--text", default="a red dress")
    args = p.parse_args()
    from transformers import CLIPModel, CLIPProcessor

    m = json.load(open(args.manifest))
    base = os.path.dirname(args.manifest)
    for role, f in m["files"].items():
        assert sha256_of(os.path.join(base, f["file"])) == f["sha256"], role + ": checksum differs from the manifest"
    image_tower = torch.jit.load(os.path.join(base, m["files"]["image"]["file"]))
    text_tower = torch.jit.load(os.path.join(base, m["files"]["text"]["file"]))
    model = CLIPModel.from_pretrained(args.model).eval()
    proc = CLIPProcessor.from_pretrained(args.model)
    inputs = proc(text=[args.text], images=Image.open(args.image), return_tensors="pt", padding="max_length")
    ids = inputs["input_ids"].clone()
    # Ensemble pads with 0 after <|endoftext|> (open_clip style); HF pads with <|endoftext|>.
    eot = (ids[0] == 49407).nonzero()[0].item()
    ids[0, eot + 1:] = 0
    with torch.no_grad():
        ref_i = model.get_image_features(pixel_values=inputs["pixel_values"])
        ref_t = model.get_text_features(input_ids=inputs["input_ids"])
        got_i = image_tower(inputs["pixel_values"])
        got_t = text_tower(ids)
    cos = torch.nn.functional.cosine_similarity
    print("image cosine:", cos(ref_i, got_i).item(), " text cosine:", cos(ref_t, got_t).item())
    json.dump({"image": torch.nn.functional.normalize(ref_i)[0].tolist(),
               "text": torch.nn.functional.normalize(ref_t)[0].tolist(),
               "input_ids": ids[0].tolist()}, open("reference.json", "w"))
    print("wrote reference.json")


if __name__ == "__main__":
    main()
