"""What the lab cannot test, said from the note's words (guards/testability.py)."""

from __future__ import annotations

from agentnotes.experiments.guards.testability import refusal


def test_a_need_the_note_names_is_refused_with_its_reason() -> None:
    assert "hardware speed" in (refusal("需要手写 CUDA kernel 来测吞吐") or "")
    assert "pretrained model" in (refusal("Fine-tune a pretrained language model with the new loss.") or "")
    assert "people" in (refusal("人工评估三组回答，找人打分") or "")
    assert "people" in (refusal("A semester-long RCT: three tutor arms, randomised by class section.") or "")
    assert "people" in (refusal("做一个随机对照试验，看学生三个月后的成绩") or "")
    assert "deployed product" in (refusal("Log telemetry from the editor plugin and compare retention.") or "")
    assert "deployed product" in (refusal("An online A/B between the two rankers, six weeks.") or "")
    assert "deployed product" in (refusal("Measure how often real developers keep the suggestion.") or "")
    assert "trial in the world" in (refusal("Train the scheduler in simulation, run it in shadow mode for a month, then "
                                            "a field trial at two warehouses.") or "")
    assert "trial in the world" in (refusal("先在仿真里训练，再去三个路口做实地试验。") or "")
    assert refusal("A field of view of 3×3 pixels per unit, trained on digits.") is None
    assert "cannot test" in (refusal("This can't be a notebook experiment: it needs a year of logs.") or "")


def test_a_trial_over_whole_sites_and_a_note_calling_itself_untestable_are_refused() -> None:
    # invented notes
    assert "trial in the world" in (refusal("按学校整群随机：一半学校发 App，一半照常，两个学期。") or "")
    assert "trial in the world" in (refusal("A stepped-wedge rollout: clinics switch to the new triage model in turn.") or "")
    assert "trial in the world" in (refusal("先在温室里调好，再做两季田间试验。") or "")
    assert "cannot test" in (refusal("Why I can't test this here: the outcome is what the pilots do, over a season.") or "")
    assert "cannot test" in (refusal("Honestly untestable on a laptop; the loop with the users is the hypothesis.") or "")
    assert "cannot test" in (refusal("结局是人的行为，小规模 CPU 实验测不了。") or "")
    assert refusal("小规模实验里测一下收敛速度，CPU 上跑 digits 就够。") is None


def test_what_a_note_says_it_does_without_is_no_need() -> None:
    assert refusal("梯度直接用 autograd，不手写 kernel，8x8 数据规模不需要。") is None
    assert refusal("No need for a pretrained model: train the MLP from scratch.") is None
    assert refusal("不用预训练模型，直接在 digits 上从头训。") is None


def test_a_dataset_named_as_others_work_is_no_need_when_the_setup_names_the_lab_data() -> None:
    note = "Motivation: others trained this loss on ImageNet and it worked.\n\nSetup: sklearn digits, MLP 64-128-10.\n"
    assert refusal(note) is None
    assert "downloaded" in (refusal(note.replace("sklearn digits", "ImageNet")) or "")
    assert "downloaded" in (refusal("Train the new loss on ImageNet with a ResNet-50.") or "")  # no setup: the need
    # A setup line whose data follows as a list under it names the lab's data too.
    listed = "预期：论文在 CIFAR 上只差 1 个点。\n\n实验设置：\n- 数据：sklearn digits，拉平 64 维\n- 模型：MLP\n"
    assert refusal(listed) is None
    # A large model named as a contrast, beside a setup on the lab's data, is no need either.
    contrast = "想看在很小规模上是否已经有好处，还是只在大模型上才有。\n\n## 设置\n- 任务：digits 分类\n"
    assert refusal(contrast) is None
    assert "pretrained" in (refusal(contrast.replace("digits 分类", "微调一个大模型")) or "")
    # A dataset the lab lacks beside one it stands in for, on one line: the lab runs that part.
    assert refusal("实验：\nMNIST MLP 和小 CNN on CIFAR-10，比 test acc。") is None
    assert "downloaded" in (refusal("想法：\n小 CNN on CIFAR-10，比 test acc。") or "")
    # the paragraph under a setup line is the setup part: the lab runs it on its own data (docstring of lab_limits)
    assert refusal("实验：\n小 CNN on CIFAR-10，比 test acc。") is None
    # A dataset the lab lacks, named in the setup part only, is where the note would run the idea: the lab runs it on
    # its own data. Named in the idea itself, it is a need.
    assert refusal("## 损失\nL = w·CE(z, y)\n\n## 实验\n- CIFAR-100，4 层 CNN，30 epoch\n") is None
    assert "downloaded" in (refusal("## 想法\n用 CIFAR-100 的类层级给 CE 加权\n\n## 实验\n- CIFAR-100，4 层 CNN\n") or "")
    # "How to test:" is the setup: a model size named elsewhere as a contrast is no need.
    assert refusal("A sort per step is fine for small nets, not for a 7B model.\n\nHow to test: MLP on MNIST, against SGD.") is None
    # A paper cited on the line: what the paper ran on, not what the note needs.
    cited = "Smith et al. 2024（Norm-free nets）：在大模型里 LN 的映射像 tanh。这里在小 MLP 上试。\n"
    assert refusal(cited) is None
    assert "pretrained" in (refusal(cited.replace("Smith et al. 2024", "Smith 说")) or "")
    # the paper's dataset in the motivation, the note's own data in the paragraph under "Experiment …:" (invented)
    motivated = "Their result was on CIFAR-100.\n\nExperiment, so I don't drift:\ndigits, MLP 64-128-10, Adam.\n"
    assert refusal(motivated) is None
    assert "downloaded" in (refusal(motivated.replace("digits", "CIFAR-10")) or "")


def test_a_model_named_with_its_size_benchmarks_judges_and_gpu_counts_are_needs() -> None:
    assert "pretrained model" in (refusal("SFT of Mistral-7B base, full fine-tune, bf16.") or "")
    assert "pretrained model" in (refusal("用 Qwen2.5-1.5B 的注意力挑示例") or "")
    assert "pretrained model" in (refusal("Protect the layers of a pretrained LLM while tuning.") or "")
    assert "downloaded" in (refusal("Forgetting measured on MMLU and GSM8K.") or "")
    assert "people" in (refusal("plus a small human preference round (~300 pairs)") or "")
    assert "many machines" in (refusal("AdamW, global batch 128, 8×A100.") or "")
    assert "many machines" in (refusal("Continued pretraining on 64+ GPUs for several days.") or "")
    assert "many machines" in (refusal("真正的开销是重新预训练（几百 GPU·天）") or "")
    assert refusal("Setup: digits 8x8, MLP 64-128-10, 2000 steps, 5 seeds; batch 64 on one GPU.") is None


def test_a_delay_in_training_is_no_latency() -> None:
    assert refusal("n=1 基本就是\"延迟一步的 Adam\"，用 n 步之前的梯度估计二阶矩") is None
    assert refusal("若 digits 在大 init 下也不出现延迟泛化，就改用 modular addition") is None
    for latency in ("目标是降低推理延迟", "延迟 3 ms 以内", "比较延迟和吞吐"):
        assert "hardware speed" in (refusal(latency) or ""), latency


def test_an_idea_run_on_a_physical_chip_is_refused_but_one_that_simulates_its_noise_is_not() -> None:
    on_chip = "Idea: fine-tune with the forward pass run on the actual chip (hardware-in-the-loop), backward in digital."
    assert "physical device" in (refusal(on_chip) or "")
    assert "physical device" in (refusal("前向在真实芯片上跑，反向用数字计算") or "")
    simulated = ("Train with weight noise σ = 3% to simulate the programming noise of RRAM crossbars; the real noise is "
                 "device-specific, here it is Gaussian. Setup: sklearn digits, 64-128-10.")
    assert refusal(simulated) is None


def test_fabricated_chips_on_chip_training_and_energy_per_update_need_hardware_the_lab_lacks() -> None:
    note = ("Idea: calibrate each device's symmetry point online during on-chip training.\n"
            "It needs fabricated crossbar test chips and weeks of cycling; measure energy per update.")
    assert "physical device" in refusal(note) and "energy" in refusal(note)


def test_token_counts_clusters_weeks_of_runs_and_the_notes_own_word_are_needs() -> None:
    assert "many machines" in (refusal("Continued pretraining on ~50B tokens of the original mix.") or "")
    assert "many machines" in (refusal("需要 256 卡左右的集群，跑几周") or "")
    assert "many machines" in (refusal("两组：7B dense 模型，不间断 vs 启停") or "")
    assert "say a small experiment" in (refusal("这个只有在真实环境里才能量出来，小实验没法模拟。") or "")
    assert "say a small experiment" in (refusal("A small experiment cannot show this: the effect needs scale.") or "")
    assert refusal("Setup: digits, MLP 64-128-10, batch 64, 2000 steps, 5 seeds.") is None
    assert refusal("小实验就够了：digits 上 MLP，3 个 seed。") is None


def test_annotator_counts_review_boards_and_real_users_are_needs() -> None:
    assert "people" in (refusal("Scale needed: ~60 annotators and an IRB-style consent process.") or "")
    assert "people" in (refusal("best-of-16 win rate judged by fresh humans") or "")
    assert "offline" in (refusal("测量（需要真实部署的 A/B）：每千字符退格次数") or "")
    assert "offline" in (refusal("Run an A/B test with real users for two weeks.") or "")
    assert "say a small experiment" in (refusal("Why it can't be a toy: the effect is human fatigue.") or "")
    assert refusal("Label noise as annotators make it: flip 20% of the labels; digits, MLP 64-128-10.") is None


def test_laboratory_experiments_and_protein_language_models_are_needs() -> None:
    assert "laboratory" in (refusal("每轮 96 个变体，湿实验测结合力，再更新代理模型") or "")
    assert "laboratory" in (refusal("Screen 90 clones per position with a thermal-stability assay.") or "")
    assert "pretrained model" in (refusal("Rank mutations by a protein language model's log-likelihood ratio.") or "")
    assert refusal("Fit a small MLP on synthetic fitness landscapes (NK model), 64 sites.") is None


def test_a_game_or_large_model_named_beside_where_the_note_runs_the_idea_is_no_need() -> None:
    cited = "他们在 Atari 的浅网络上发现这个激活比 sigmoid 好很多。\n\n实验：digits，MLP 宽 128，5 seeds。\n"
    assert refusal(cited) is None
    assert "interactive environment" in (refusal(cited.replace("digits，MLP", "Atari，MLP")) or "")
    assert "interactive environment" in (refusal("Train the policy with reinforcement learning on Atari.") or "")
    # A sentence that runs a small version on the lab's data says where the note runs it, as a setup part does.
    toy = "这是大模型上的结论，小尺度能不能复现？想在 digits 上做一个玩具版。\n阶段 A：类 0–4，阶段 B：类 0–9。\n"
    assert refusal(toy) is None
    assert "pretrained" in (refusal("这是大模型上的结论，想在 digits 上复现。\n") or "")  # no small version said
    assert "pretrained" in (refusal("A toy version on digits: fine-tune a pretrained LLM on its digit strings.") or "")


def test_a_prospective_field_comparison_and_a_note_saying_the_laptop_cannot_answer_it_are_refused() -> None:
    assert "in the world" in (refusal("# 桥梁振动告警：前瞻性实地对比\n传感器装好后实时运行 6 个月，和人工巡检并行。") or "")
    assert "in the world" in (refusal("Deploy it on three turbines and run live for a year beside the old alarm.") or "")
    assert "notes themselves" in (refusal("在电脑上用合成信号能做的只是调试，回答不了它在现场能不能提前报警。") or "")
    assert refusal("Prospective idea: compare on digits, MLP 64-128-10, 5 seeds.") is None


def test_data_gathered_over_seasons_and_a_reinforcement_learning_policy_are_refused() -> None:
    assert "in the world" in (refusal("A summer-long study: microphones on 50 ponds, frogs counted each night.") or "")
    assert "in the world" in (refusal("Labels are rare: probably needs two growing seasons of recordings.") or "")
    assert "in the world" in (refusal("果园里装好相机，完整一季（约 6 个月）后再比较。") or "")
    assert "interactive environment" in (refusal("灌溉阀门交给 RL 策略控制，和人工设定比较。") or "")
    assert "interactive environment" in (refusal("An RL controller sets the fan speed each minute.") or "")
    assert refusal("Seasonal synthetic series: y_t = sin(2πt/12) + ε, a GRU on digits-sized windows.") is None
    assert refusal("季度性的合成序列：y_t = sin(2πt/4) + ε，GRU 隐藏维 32。") is None
