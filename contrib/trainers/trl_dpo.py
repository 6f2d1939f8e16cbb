#!/usr/bin/env python3
"""knowthy's `command` trainer for TRL: DPO with a LoRA adapter (PEFT), then llama.cpp's
convert_lora_to_gguf.py, so that the candidate is a GGUF LoRA adapter for the GGUF model knowthy
runs. Not run by knowthy's tests (it needs torch, transformers, trl, peft and, in practice, a GPU).

knowthy.toml:
    [train]
    trainer = "command"
    command = ["/opt/trl-venv/bin/python", "/path/to/knowthy/contrib/trainers/trl_dpo.py",
               "--hf-model", "/models/Qwen2.5-1.5B-Instruct",
               "--llama-cpp", "/opt/llama.cpp",
               "--dpo-train", "{dpo_train}", "--dpo-heldout", "{dpo_heldout}",
               "--output-dir", "{output_dir}"]

--hf-model is the Hugging Face folder of the same model that [model] path holds as GGUF (the
adapter applies to that model); --llama-cpp is a llama.cpp checkout (for convert_lora_to_gguf.py).
"""
import argparse
import os
import subprocess
import sys

from datasets import load_dataset
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import DPOConfig, DPOTrainer


def load(path):
    # knowthy's conversational DPO lines: prompt / chosen / rejected as message lists, plus meta.
    if os.path.getsize(path) == 0:
        return None
    return load_dataset("json", data_files=path, split="train").remove_columns(["meta"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hf-model", required=True)
    p.add_argument("--llama-cpp", required=True)
    p.add_argument("--dpo-train", required=True)
    p.add_argument("--dpo-heldout", required=True)
    p.add_argument("--output-dir", required=True)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--learning-rate", type=float, default=5e-6)
    p.add_argument("--beta", type=float, default=0.1)
    a = p.parse_args()

    train, heldout = load(a.dpo_train), load(a.dpo_heldout)
    if train is None:
        sys.exit("no clean DPO train pairs")
    tokenizer = AutoTokenizer.from_pretrained(a.hf_model)
    model = AutoModelForCausalLM.from_pretrained(a.hf_model, torch_dtype="auto")
    peft_dir = os.path.join(a.output_dir, "peft")
    args = DPOConfig(
        output_dir=peft_dir,
        num_train_epochs=a.epochs,
        learning_rate=a.learning_rate,
        beta=a.beta,
        per_device_train_batch_size=1,
        gradient_accumulation_steps=8,
        gradient_checkpointing=True,
        max_length=16384,  # a batch's prompt and answer fit knowthy's [model] context
        logging_steps=1,
        eval_strategy="epoch" if heldout is not None else "no",
        save_strategy="no",
        report_to=[],
    )
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
    trainer = DPOTrainer(model=model, args=args, train_dataset=train, eval_dataset=heldout,
                         processing_class=tokenizer, peft_config=lora)
    trainer.train()
    trainer.save_model(peft_dir)  # adapter_config.json + adapter_model.safetensors
    subprocess.run([sys.executable, os.path.join(a.llama_cpp, "convert_lora_to_gguf.py"), peft_dir,
                    "--base", a.hf_model, "--outtype", "f16",
                    "--outfile", os.path.join(a.output_dir, "adapter.gguf")], check=True)


if __name__ == "__main__":
    main()
