// The TodoMVC view (tastejs/todomvc app-spec.md): TodoMVC's markup and class names, so any
// TodoMVC functional test can drive it. It renders what a live query of the todos gives and
// turns every gesture into a write on the local database; sync does the rest.
const FILTERS = { '#/': () => true, '#/active': (t) => !t.completed, '#/completed': (t) => t.completed };

export function mountTodoList(root, Todo) {
  const $ = (selector) => root.querySelector(selector);
  const list = $('.todo-list');
  const items = new Map();  // id -> <li>, kept across renders so an edit in progress survives
  let todos = [];

  const route = () => (FILTERS[location.hash] ? location.hash : '#/');

  function render() {
    const shown = todos.filter(FILTERS[route()]);
    const left = todos.filter((t) => !t.completed).length;
    const ids = new Set(shown.map((t) => t.id));
    for (const [id, li] of items) {
      if (!ids.has(id)) {
        li.remove();
        items.delete(id);
      }
    }
    shown.forEach((todo, index) => {
      const li = items.get(todo.id) ?? createItem(todo.id);
      updateItem(li, todo);
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
    });
    $('.main').hidden = todos.length === 0;
    $('.footer').hidden = todos.length === 0;
    $('.toggle-all').checked = todos.length > 0 && left === 0;
    $('.todo-count').innerHTML = `<strong>${left}</strong> ${left === 1 ? 'item' : 'items'} left`;
    $('.clear-completed').hidden = left === todos.length;
    for (const a of root.querySelectorAll('.filters a')) {
      a.classList.toggle('selected', a.getAttribute('href') === route());
    }
  }

  function createItem(id) {
    const li = document.createElement('li');
    li.dataset.id = id;
    li.innerHTML = '<div class="view"><input class="toggle" type="checkbox"><label></label>' +
      '<button class="destroy" aria-label="Delete"></button></div><input class="edit">';
    items.set(id, li);
    return li;
  }

  function updateItem(li, todo) {
    li.classList.toggle('completed', Boolean(todo.completed));
    li.querySelector('.toggle').checked = Boolean(todo.completed);
    li.querySelector('label').textContent = todo.title ?? '';
    if (!li.classList.contains('editing')) li.querySelector('.edit').value = todo.title ?? '';
  }

  // Todos show in the order they were added: `created` is the model's clock (ms), which two
  // quick adds can share, so each new one takes a time after every todo shown.
  let lastCreated = 0;
  function nextCreated() {
    for (const todo of todos) lastCreated = Math.max(lastCreated, todo.created ?? 0);
    lastCreated = Math.max(Date.now(), lastCreated + 1);
    return lastCreated;
  }

  const idOf = (element) => element.closest('li')?.dataset.id;
  const report = (error) => console.error('replicore todos:', error);

  $('.new-todo').addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.isComposing) return;
    const title = event.target.value.trim();
    if (!title) return;
    event.target.value = '';
    Todo.create({ title, completed: false, created: nextCreated() }).catch(report);
  });

  $('.toggle-all').addEventListener('change', (event) => {
    const completed = event.target.checked;
    Todo.updateAll({ completed: !completed }, { completed }).catch(report);
  });

  $('.clear-completed').addEventListener('click', () => {
    Todo.deleteAll({ completed: true }).catch(report);
  });

  list.addEventListener('change', (event) => {
    if (!event.target.matches('.toggle')) return;
    Todo.patchById(idOf(event.target), { completed: event.target.checked }).catch(report);
  });

  list.addEventListener('click', (event) => {
    if (event.target.matches('.destroy')) Todo.deleteById(idOf(event.target)).catch(report);
  });

  list.addEventListener('dblclick', (event) => {
    if (!event.target.matches('label')) return;
    const li = event.target.closest('li');
    const edit = li.querySelector('.edit');
    li.classList.add('editing');
    edit.value = event.target.textContent;
    edit.focus();
    edit.setSelectionRange(edit.value.length, edit.value.length);
  });

  // Enter and blur save (an empty title deletes), Escape cancels.
  function finishEdit(edit, save) {
    const li = edit.closest('li');
    if (!li?.classList.contains('editing')) return;
    li.classList.remove('editing');
    const todo = todos.find((t) => t.id === li.dataset.id);
    if (!save) {
      edit.value = todo?.title ?? '';
      return;
    }
    const title = edit.value.trim();
    if (!title) Todo.deleteById(li.dataset.id).catch(report);
    else if (title !== todo?.title) Todo.patchById(li.dataset.id, { title }).catch(report);
    edit.value = title;
  }

  list.addEventListener('keydown', (event) => {
    if (!event.target.matches('.edit')) return;
    if (event.key === 'Enter' && !event.isComposing) finishEdit(event.target, true);
    else if (event.key === 'Escape') finishEdit(event.target, false);
  });
  list.addEventListener('focusout', (event) => {
    if (event.target.matches('.edit')) finishEdit(event.target, true);
  });

  window.addEventListener('hashchange', render);

  // Re-runs on local writes, other tabs' writes and whatever sync brings in.
  return Todo.watch({ order: ['created ASC', 'id ASC'] }, (result) => {
    todos = result;
    render();
  }, report);
}
