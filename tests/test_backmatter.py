"""Back matter: every citation resolves, every reference is cited, the glossary covers the sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIB = (ROOT / "references.bib").read_text(encoding="utf-8")
GLOSSARY = (ROOT / "glossary.md").read_text(encoding="utf-8")
TEXTS = [p.read_text(encoding="utf-8")
         for p in [*ROOT.glob("*.md"), *(ROOT / "chapters").rglob("*.md"),
                   *(ROOT / "chapters").rglob("*.ipynb")]
         if ".ipynb_checkpoints" not in p.parts and p.name != "README.md"]

ENTRIES = re.findall(r"@(\w+)\{([^,\s]+),", BIB)
KEYS = [key for _, key in ENTRIES]
CITED = {key.strip() for text in TEXTS
         for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text) for key in group.split(",")}

# Terms of the source articles (../shared/sources), with the Korean the sources use.
REQUIRED_TERMS = [
    ("deep learning", "딥러닝"), ("machine learning", "머신러닝"),
    ("artificial neural network", "인공신경망"), ("neuron", "뉴런"), ("weight", "가중치"),
    ("summation function", "합산 함수"), ("activation function", "활성화 함수"),
    ("multilayer perceptron", "다층 퍼셉트론"), ("input layer", "입력층"),
    ("hidden layer", "은닉층"), ("output layer", "출력층"),
    ("convolution", "합성곱"), ("pooling", "풀링"), ("fully connected", "완전 연결"),
    ("Inception module", "인셉션 모듈"), ("1×1 convolution", "1×1 합성곱"),
    ("recurrent neural network", "순환 신경망"), ("hidden state", "은닉 상태"),
    ("long-term dependency", "장기 의존성"), ("vanishing gradient", "기울기 소실"),
    ("long short-term memory", "장단기 메모리"), ("cell state", "셀 상태"),
    ("memory cell", "기억 셀"), ("forget gate", "망각 게이트"), ("forget gate", "잊음 게이트"),
    ("gated recurrent unit", "게이트 순환 유닛"), ("candidate hidden state", "후보 은닉 상태"),
    ("context vector", "컨텍스트 벡터"), ("Transformer", "트랜스포머"),
    ("self-attention", "자기 주의"), ("positional encoding", "위치 인코딩"),
    ("generative adversarial network", "생성적 적대 신경망"), ("generator", "생성자"),
    ("discriminator", "판별자"), ("autoencoder", "오토인코더"),
    ("natural language processing", "자연어 처리"), ("speech recognition", "음성 인식"),
    ("machine translation", "기계 번역"), ("recommender system", "추천 시스템"),
    ("computer vision", "컴퓨터 비전"), ("semantic segmentation", "시맨틱 분할"),
    ("anomaly", "이상치 탐지"), ("learning rate", "학습률"), ("batch size", "배치 크기"),
    ("epoch", "에폭"), ("grid search", "그리드 서치"), ("random search", "랜덤 서치"),
    ("Bayesian optimisation", "베이지안 최적화"), ("dropout", "드롭아웃"),
    ("batch normalisation", "배치 정규화"), ("data augmentation", "데이터 증강"),
    ("L1 regularisation", "L1 규제"), ("L2 regularisation", "L2 규제"),
    ("cross-validation", "교차 검증"), ("hold-out", "홀드아웃 검증"), ("ensemble", "앙상블"),
    ("transfer learning", "전이 학습"), ("pruning", "가지치기"), ("quantization", "양자화"),
    ("knowledge distillation", "지식 증류"), ("model compression", "모델 압축"),
    ("lightweighting", "경량화"),
    ("deployment", "배포"), ("multimodal", "멀티모달"), ("explainable AI", "설명 가능한 AI"),
    ("self-supervised learning", "자기 지도 학습"), ("style transfer", "스타일 전이"),
    ("super-resolution", "초해상도"), ("overfitting", "과적합"), ("hyperparameter", "하이퍼파라미터"),
]


def glossary_rows() -> list[tuple[str, str]]:
    rows = []
    for line in GLOSSARY.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and not set(cells[0]) <= set("- "):
            rows.append((cells[0], cells[1]))
    return rows


def test_every_citation_resolves():
    assert CITED, "no citations found"
    missing = sorted(CITED - set(KEYS))
    assert not missing, f"cited but not in references.bib: {missing}"


def test_every_reference_is_cited():
    unused = sorted(set(KEYS) - CITED)
    assert not unused, f"in references.bib but cited nowhere: {unused}"


def test_references_have_unique_keys_and_proper_types():
    duplicates = sorted({k for k in KEYS if KEYS.count(k) > 1})
    assert not duplicates, f"duplicate keys: {duplicates}"
    for kind, key in ENTRIES:
        body = BIB[BIB.index(f"{{{key},"):].split("\n}", 1)[0]
        if kind.lower() == "article":
            assert "journal" in body and not re.search(r"journal\s*=\s*\{[^}]*(Conference|Workshop)",
                                                       body), f"{key}: a conference paper is @inproceedings"
        if kind.lower() == "inproceedings":
            assert "booktitle" in body, f"{key}: @inproceedings needs a booktitle"


@pytest.mark.parametrize("english,korean", REQUIRED_TERMS, ids=[k for _, k in REQUIRED_TERMS])
def test_glossary_has_the_sources_terms_in_both_languages(english, korean):
    hits = [row for row in glossary_rows()
            if english.lower() in row[0].lower() and korean in row[1]]
    assert hits, f"glossary lacks {english!r} / {korean!r} in one row"


def test_glossary_terms_are_unique():
    # "masked language model" and "masked language model (MLM)" are the same term
    names = [re.sub(r"\s*\(.*?\)", "", english).lower() for english, _ in glossary_rows()]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"terms listed twice: {duplicates}"


def test_every_glossary_row_links_to_an_existing_page():
    missing = []
    for line in GLOSSARY.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 4 or set(cells[0]) <= set("- ") \
                or cells[0] == "English":
            continue
        links = re.findall(r"\]\(([^)]+)\)", cells[3])
        if not links or not all((ROOT / link).exists() for link in links):
            missing.append(cells[0])
    assert not missing, f"glossary rows without a link to an existing page: {missing}"
